"""The scenario language: YAML text or plain dicts → frozen, strictly validated Scenario values.

Scenario ── rules: Rule ── match: Match          which requests (method, path glob, model, stream...)
         │               ├─ respond: Respond      answer instead of the handler (status, error, headers)
         │               ├─ fault: Fault          break the connection or the stream
         │               └─ delay / chunk_delay: Dist, dribble: Dribble
         ├─ jobs: JobRule ── match: JobMatch      which jobs (suffix, model, metadata)
         │                 └─ script: JobScript   how their lifecycle bends
         ├─ webhooks: WebhookRule ── match: WebhookMatch   which deliveries (event type, url)
         │                         └─ fault / delay         what happens to an attempt
         └─ rate_limits: RateLimits               per-tenant buckets and job caps
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..domain.jobscript import JobFailure, JobScript, JobWarning
from ..durations import parse_duration
from ._source import ScenarioError, Source, read_yaml

__all__ = [
    "CANNED_ERRORS",
    "FAULTS",
    "STREAM_FAULTS",
    "CannedError",
    "Dist",
    "Dribble",
    "Fault",
    "JobMatch",
    "JobRule",
    "Match",
    "RateLimits",
    "Respond",
    "Rule",
    "Scenario",
    "ScenarioError",
    "WEBHOOK_FAULTS",
    "WebhookMatch",
    "WebhookRule",
    "Window",
    "parse_scenario",
    "parse_yaml",
]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
INITIAL_STATE = "started"


@dataclass(frozen=True)
class CannedError:
    status: int
    type: str
    code: str | None
    message: str  # may use {request_id}, {model}, {organization}, {method}, {path}
    content_type: str = "application/json"
    raw_body: str | None = None  # sent as is instead of the JSON envelope (Cloudflare's HTML pages)


_CLOUDFLARE_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>"
    "\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)

# Real OpenAI bodies (reference §1.5, plus the 503 overload text users quote verbatim).
CANNED_ERRORS: Mapping[str, CannedError] = {
    "server_error": CannedError(
        500, "server_error", None, "The server had an error while processing your request. Sorry about that!"
    ),
    "overloaded": CannedError(
        503,
        "server_error",
        None,
        "That model is currently overloaded with other requests. You can retry your request, or contact us "
        "through our help center at help.openai.com if the error persists. (Please include the request ID "
        "{request_id} in your message.)",
    ),
    "bad_gateway": CannedError(502, "server_error", None, "Bad Gateway", "text/html", _CLOUDFLARE_502),
    "rate_limit_exceeded": CannedError(
        429,
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for {model} in organization {organization} on requests per min (RPM): Limit 3, "
        "Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits "
        "to learn more.",
    ),
    "tokens_rate_limit_exceeded": CannedError(
        429,
        "tokens",
        "rate_limit_exceeded",
        "Rate limit reached for {model} in organization {organization} on tokens per min (TPM): Limit 10000, "
        "Used 8554, Requested 3082. Please try again in 9.816s. Visit "
        "https://platform.openai.com/account/rate-limits to learn more.",
    ),
    "insufficient_quota": CannedError(
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details. "
        "For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    ),
}

# Each fault and the parameters it takes.
FAULTS: Mapping[str, frozenset[str]] = {
    "reset": frozenset(),  # TCP reset before any byte of the response
    "empty_response": frozenset(),  # clean close before any byte
    "malformed_body": frozenset({"status"}),  # a JSON content type with a body that isn't JSON
    "random_data": frozenset({"bytes"}),  # bytes that aren't HTTP, then close
    "truncate_body": frozenset({"after_bytes"}),  # the handler's response cut short, then a reset
    "truncate_stream": frozenset({"after_chunks"}),  # SSE cut after N events: no [DONE], connection dropped
    "stall_stream": frozenset({"after_chunks", "for"}),  # SSE goes silent after N events
    "malformed_chunk": frozenset({"after_chunks"}),  # event N+1 carries broken JSON
    "error_event": frozenset(
        {"after_chunks", "message", "type", "code"}
    ),  # mid-stream error, as OpenAI sends it
    "commit_then_drop": frozenset(),  # the handler runs and commits, then the connection drops
    "slow_success": frozenset({"for"}),  # the handler runs, the answer comes after the client's read timeout
}
STREAM_FAULTS = frozenset({"truncate_stream", "stall_stream", "malformed_chunk", "error_event"})


@dataclass(frozen=True)
class Dist:
    """A duration: fixed, uniform between `a` and `b`, or lognormal with median `a` and sigma `b`."""

    kind: str
    a: float
    b: float = 0.0

    def sample(self, rng: random.Random) -> float:
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b)
        if self.kind == "lognormal":
            return self.a * math.exp(rng.gauss(0.0, self.b))
        return self.a


@dataclass(frozen=True)
class Dribble:
    """Send the body `size` bytes at a time, waiting `every` between pieces."""

    size: int
    every: Dist


@dataclass(frozen=True)
class Window:
    """Seconds of emulator time since the scenario was loaded during which a rule may fire."""

    start: float = 0.0
    end: float = math.inf


@dataclass(frozen=True)
class Match:
    methods: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    model: str | None = None
    stream: bool | None = None
    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    body: tuple[tuple[str, Any], ...] = ()
    api_key: str | None = None
    organization: str | None = None


@dataclass(frozen=True)
class Respond:
    status: int
    type: str | None = None
    code: str | None = None
    message: str | None = None
    param: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: Any = None  # replaces the error envelope: a str is sent as is, anything else as JSON
    content_type: str | None = None


@dataclass(frozen=True)
class Fault:
    kind: str
    after_chunks: int = 0
    after_bytes: int = 0
    size: int = 64
    status: int = 200
    duration: Dist | None = None  # stall_stream / slow_success: how long; None: past the client's timeout
    message: str | None = None
    type: str | None = None
    code: str | None = None

    @property
    def on_stream(self) -> bool:
        return self.kind in STREAM_FAULTS


@dataclass(frozen=True)
class Rule:
    label: str  # the rule's `name`, else its position (`rules[2]`)
    match: Match
    times: int | None = None
    after: int = 0
    probability: float = 1.0
    window: Window | None = None
    when_state: str | None = None
    set_state: str | None = None
    respond: Respond | None = None
    fault: Fault | None = None
    delay: Dist | None = None
    chunk_delay: Dist | None = None
    dribble: Dribble | None = None


@dataclass(frozen=True)
class JobMatch:
    suffix: str | None = None
    model: str | None = None
    metadata: tuple[tuple[str, str], ...] = ()
    organization: str | None = None


@dataclass(frozen=True)
class JobRule:
    label: str
    match: JobMatch
    script: JobScript
    times: int | None = None
    after: int = 0
    probability: float = 1.0


# What a webhook rule can do to a delivery attempt (`delay` holds the first attempt instead).
WEBHOOK_FAULTS = (
    "drop", "duplicate", "out_of_order", "wrong_signature", "stale_timestamp", "receiver_error",
)  # fmt: skip


@dataclass(frozen=True)
class WebhookMatch:
    type: str | None = None  # glob on the event type
    url: str | None = None  # glob on the endpoint URL
    organization: str | None = None


@dataclass(frozen=True)
class WebhookRule:
    label: str
    match: WebhookMatch
    fault: str | None = None  # one of WEBHOOK_FAULTS, or None with `delay`
    delay: float = 0.0  # seconds the first attempt waits (emulator time)
    status: int = 503  # receiver_error: the status the attempt fails with
    times: int | None = None
    after: int = 0
    probability: float = 1.0


@dataclass(frozen=True)
class RateLimits:
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    max_active_jobs: int | None = None
    jobs_per_day: int | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str = ""
    seed: int | None = None
    rules: tuple[Rule, ...] = ()
    jobs: tuple[JobRule, ...] = ()
    rate_limits: RateLimits | None = None
    source: str = "<scenario>"
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    webhooks: tuple[WebhookRule, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The scenario as written (JSON-able), e.g. to load it into another emulator over HTTP."""
        return dict(self.spec)


# ---------------------------------------------------------------- entry points


def parse_yaml(text: str, source: str = "<yaml>") -> Scenario:
    data, src = read_yaml(text, source)
    return _Parser(src).scenario(data)


def parse_scenario(data: Any, source: str = "<dict>") -> Scenario:
    """Validate a plain mapping (from JSON or the builder)."""
    return _Parser(Source(source)).scenario(data)


# ---------------------------------------------------------------- the parser

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_FOREVER = ("forever", "never", "inf")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


class _Parser:
    def __init__(self, source: Source) -> None:
        self.src = source

    def fail(self, path: str, problem: str) -> ScenarioError:
        return self.src.error(path, problem)

    # -- primitives

    def mapping(
        self, value: Any, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping, got {_kind(value)}")
        for key in value:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                raise self.fail(where, f"unknown key {key!r} (expected one of: {', '.join(allowed)})")
        for key in required:
            if key not in value:
                raise self.fail(path, f"missing required key {key!r}")
        return dict(value)

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {_kind(value)}")
        return value

    def opt_string(self, value: Any, path: str) -> str | None:
        return None if value is None else self.string(value, path)

    def integer(self, value: Any, path: str, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"expected an integer, got {_kind(value)}")
        if value < minimum:
            raise self.fail(path, f"must be at least {minimum}, got {value}")
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {_kind(value)}")
        return value

    def probability(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise self.fail(path, f"expected a probability between 0 and 1, got {_kind(value)}")
        return float(value)

    def duration(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(path, f"expected a duration such as 250ms, 2s or 5m, got {_kind(value)}")
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None

    def dist(self, value: Any, path: str) -> Dist:
        if not isinstance(value, Mapping):
            return Dist("fixed", self.duration(value, path))
        if len(value) != 1:
            raise self.fail(path, "expected one of fixed, uniform or lognormal (e.g. {uniform: [100ms, 2s]})")
        ((kind, spec),) = value.items()
        inner = f"{path}.{kind}"
        if kind == "fixed":
            return Dist("fixed", self.duration(spec, inner))
        if kind == "uniform":
            if isinstance(spec, Mapping):
                spec = self.mapping(spec, inner, ("min", "max"), ("min", "max"))
                low, high = (
                    self.duration(spec["min"], f"{inner}.min"),
                    self.duration(spec["max"], f"{inner}.max"),
                )
            elif isinstance(spec, list) and len(spec) == 2:
                low, high = self.duration(spec[0], f"{inner}[0]"), self.duration(spec[1], f"{inner}[1]")
            else:
                raise self.fail(inner, "expected [min, max] or {min: ..., max: ...}")
            if low > high:
                raise self.fail(inner, "the minimum is larger than the maximum")
            return Dist("uniform", low, high)
        if kind == "lognormal":
            spec = self.mapping(spec, inner, ("median", "sigma"), ("median", "sigma"))
            sigma = spec["sigma"]
            if isinstance(sigma, bool) or not isinstance(sigma, int | float) or sigma < 0:
                raise self.fail(f"{inner}.sigma", f"expected a non-negative number, got {_kind(sigma)}")
            return Dist("lognormal", self.duration(spec["median"], f"{inner}.median"), float(sigma))
        raise self.fail(
            f"{path}.{kind}", f"unknown distribution {kind!r} (expected fixed, uniform or lognormal)"
        )

    def str_map(self, value: Any, path: str, *, lower: bool = False) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping, got {_kind(value)}")
        out = []
        for key, item in value.items():
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise self.fail(f"{path}.{key}", f"expected a string, got {_kind(item)}")
            out.append((key.lower() if lower else key, str(item)))
        return tuple(out)

    def globs(
        self, value: Any, path: str, check: Callable[[str, str], None] | None = None
    ) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        if not items:
            raise self.fail(path, "expected at least one value")
        out = []
        for i, item in enumerate(items):
            where = f"{path}[{i}]" if isinstance(value, list) else path
            out.append(self.string(item, where))
            if check is not None:
                check(out[-1], where)
        return tuple(out)

    # -- the document

    def scenario(self, data: Any) -> Scenario:
        if data is None:
            raise self.fail("", "the scenario is empty")
        doc = self.mapping(
            data, "", ("name", "description", "seed", "rules", "jobs", "rate_limits", "webhooks"), ("name",)
        )
        name = self.string(doc["name"], "name")
        if not _NAME.match(name):
            raise self.fail("name", f"{name!r} is not a valid name (letters, digits, '_', '-', '.')")
        description = self.string(doc.get("description", ""), "description")
        seed = None if doc.get("seed") is None else self.integer(doc["seed"], "seed")
        rules = tuple(self.rule(r, f"rules[{i}]", i) for i, r in enumerate(self.items(doc, "rules")))
        jobs = tuple(self.job_rule(r, f"jobs[{i}]", i) for i, r in enumerate(self.items(doc, "jobs")))
        limits = (
            None if doc.get("rate_limits") is None else self.rate_limits(doc["rate_limits"], "rate_limits")
        )
        hooks = tuple(
            self.webhook_rule(r, f"webhooks[{i}]", i) for i, r in enumerate(self.items(doc, "webhooks"))
        )
        self.check_labels([r.label for r in rules], "rules")
        self.check_labels([r.label for r in jobs], "jobs")
        self.check_labels([r.label for r in hooks], "webhooks")
        self.check_states(rules)
        return Scenario(
            name, description, seed, rules, jobs, limits, self.src.name, dict(doc), webhooks=hooks
        )

    def items(self, doc: Mapping[str, Any], key: str) -> list[Any]:
        value = doc.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, got {_kind(value)}")
        return value

    def check_labels(self, labels: list[str], path: str) -> None:
        seen: set[str] = set()
        for i, label in enumerate(labels):
            if label in seen:
                raise self.fail(f"{path}[{i}].name", f"two rules are named {label!r}")
            seen.add(label)

    def check_states(self, rules: tuple[Rule, ...]) -> None:
        reachable = {INITIAL_STATE} | {r.set_state for r in rules if r.set_state}
        for i, rule in enumerate(rules):
            if rule.when_state is not None and rule.when_state not in reachable:
                raise self.fail(
                    f"rules[{i}].when_state",
                    f"no rule sets state {rule.when_state!r}, so this rule can never fire "
                    f"(every scenario starts in {INITIAL_STATE!r})",
                )

    # -- request rules

    def rule(self, value: Any, path: str, index: int) -> Rule:
        keys = (
            "name",
            "match",
            "times",
            "after",
            "probability",
            "window",
            "when_state",
            "set_state",
            "respond",
            "fault",
            "delay",
            "chunk_delay",
            "dribble",
        )
        doc = self.mapping(value, path, keys)
        label = self.string(doc["name"], f"{path}.name") if "name" in doc else f"rules[{index}]"
        match = self.match(doc.get("match", {}), f"{path}.match")
        respond = self.respond(doc["respond"], f"{path}.respond") if doc.get("respond") is not None else None
        fault = self.fault(doc["fault"], f"{path}.fault") if doc.get("fault") is not None else None
        if respond is not None and fault is not None:
            raise self.fail(
                f"{path}.fault", "a rule can't both respond and inject a fault: split it into two rules"
            )
        if fault is not None and fault.on_stream:
            if match.stream is False:
                raise self.fail(
                    f"{path}.fault", f"{fault.kind} needs a streamed response, but match.stream is false"
                )
            match = dataclasses.replace(match, stream=True)
        if respond is not None and doc.get("chunk_delay") is not None:
            raise self.fail(f"{path}.chunk_delay", "chunk_delay shapes a streamed answer; respond sends none")
        window = self.window(doc["window"], f"{path}.window") if doc.get("window") is not None else None
        rule = Rule(
            label=label,
            match=match,
            times=None if doc.get("times") is None else self.integer(doc["times"], f"{path}.times", 1),
            after=0 if doc.get("after") is None else self.integer(doc["after"], f"{path}.after"),
            probability=1.0
            if doc.get("probability") is None
            else self.probability(doc["probability"], f"{path}.probability"),
            window=window,
            when_state=self.opt_string(doc.get("when_state"), f"{path}.when_state"),
            set_state=self.opt_string(doc.get("set_state"), f"{path}.set_state"),
            respond=respond,
            fault=fault,
            delay=None if doc.get("delay") is None else self.dist(doc["delay"], f"{path}.delay"),
            chunk_delay=None
            if doc.get("chunk_delay") is None
            else self.dist(doc["chunk_delay"], f"{path}.chunk_delay"),
            dribble=None if doc.get("dribble") is None else self.dribble(doc["dribble"], f"{path}.dribble"),
        )
        if not (
            rule.respond or rule.fault or rule.delay or rule.chunk_delay or rule.dribble or rule.set_state
        ):
            raise self.fail(
                path,
                "the rule does nothing: give it respond, fault, delay, chunk_delay, dribble or set_state",
            )
        return rule

    def match(self, value: Any, path: str) -> Match:
        doc = self.mapping(
            value,
            path,
            ("method", "path", "model", "stream", "headers", "query", "body", "api_key", "organization"),
        )

        def method(item: str, where: str) -> None:
            if item.upper() not in METHODS:
                raise self.fail(where, f"unknown HTTP method {item!r}")

        def route(item: str, where: str) -> None:
            if not item.startswith("/"):
                raise self.fail(
                    where, f"a path starts with '/', got {item!r} (globs: * within a segment, ** across)"
                )

        body = doc.get("body")
        if body is not None and not isinstance(body, Mapping):
            raise self.fail(f"{path}.body", f"expected a mapping of field → value, got {_kind(body)}")
        return Match(
            methods=tuple(m.upper() for m in self.globs(doc["method"], f"{path}.method", method))
            if "method" in doc
            else (),
            paths=self.globs(doc["path"], f"{path}.path", route) if "path" in doc else (),
            model=self.opt_string(doc.get("model"), f"{path}.model"),
            stream=None if doc.get("stream") is None else self.boolean(doc["stream"], f"{path}.stream"),
            headers=self.str_map(doc["headers"], f"{path}.headers", lower=True) if doc.get("headers") else (),
            query=self.str_map(doc["query"], f"{path}.query") if doc.get("query") else (),
            body=tuple((str(k), v) for k, v in (body or {}).items()),
            api_key=self.opt_string(doc.get("api_key"), f"{path}.api_key"),
            organization=self.opt_string(doc.get("organization"), f"{path}.organization"),
        )

    def window(self, value: Any, path: str) -> Window:
        doc = self.mapping(value, path, ("from", "until"))
        if not doc:
            raise self.fail(path, "give 'from', 'until' or both")
        start = self.duration(doc["from"], f"{path}.from") if "from" in doc else 0.0
        end = self.duration(doc["until"], f"{path}.until") if "until" in doc else math.inf
        if start >= end:
            raise self.fail(path, "'from' must come before 'until'")
        return Window(start, end)

    def respond(self, value: Any, path: str) -> Respond:
        doc = self.mapping(
            value,
            path,
            ("status", "error", "message", "type", "code", "param", "headers", "body", "content_type"),
        )
        canned = None
        if doc.get("error") is not None:
            name = self.string(doc["error"], f"{path}.error")
            canned = CANNED_ERRORS.get(name)
            if canned is None:
                raise self.fail(
                    f"{path}.error", f"unknown error {name!r} (known: {', '.join(CANNED_ERRORS)})"
                )
        if "status" not in doc and canned is None:
            raise self.fail(path, "give 'status' or a canned 'error' (e.g. error: server_error)")
        if "status" in doc:
            status = self.integer(doc["status"], f"{path}.status", 100)
        else:
            assert canned is not None
            status = canned.status
        if status > 599:
            raise self.fail(f"{path}.status", f"not an HTTP status: {status}")
        envelope = [k for k in ("error", "message", "type", "code", "param") if doc.get(k) is not None]
        if "body" in doc and envelope:
            raise self.fail(
                f"{path}.body", f"'body' replaces the error envelope, so it can't go with {envelope[0]!r}"
            )
        if status < 400 and envelope:
            raise self.fail(
                f"{path}.status", f"an error ({envelope[0]!r}) needs a status of 400 or more, got {status}"
            )
        body = doc.get("body")
        if body is None and canned is not None and canned.raw_body is not None and not envelope[1:]:
            body = canned.raw_body
        return Respond(
            status=status,
            type=self.opt_string(doc.get("type"), f"{path}.type") or (canned.type if canned else None),
            code=self.opt_string(doc.get("code"), f"{path}.code")
            if "code" in doc
            else (canned.code if canned else None),
            message=self.opt_string(doc.get("message"), f"{path}.message")
            or (canned.message if canned else None),
            param=self.opt_string(doc.get("param"), f"{path}.param"),
            headers=self.str_map(doc["headers"], f"{path}.headers", lower=True) if doc.get("headers") else (),
            body=body,
            content_type=self.opt_string(doc.get("content_type"), f"{path}.content_type")
            or (canned.content_type if canned and body is not None else None),
        )

    def fault(self, value: Any, path: str) -> Fault:
        params: Any
        if isinstance(value, str):
            kind, params = value, {}
        elif isinstance(value, Mapping) and len(value) == 1:
            ((kind, params),) = value.items()
            params = {} if params is None else params
        else:
            raise self.fail(path, f"expected a fault name or {{name: {{parameters}}}}, got {_kind(value)}")
        if kind not in FAULTS:
            raise self.fail(path, f"unknown fault {kind!r} (known: {', '.join(FAULTS)})")
        inner = f"{path}.{kind}"
        allowed = tuple(sorted(FAULTS[kind]))
        if not isinstance(params, Mapping):
            raise self.fail(inner, f"expected a mapping of parameters, got {_kind(params)}")
        if params and not allowed:
            raise self.fail(inner, f"{kind} takes no parameters")
        doc = self.mapping(params, inner, allowed)
        return Fault(
            kind=kind,
            after_chunks=self.integer(doc.get("after_chunks", 0), f"{inner}.after_chunks"),
            after_bytes=self.integer(doc.get("after_bytes", 0), f"{inner}.after_bytes"),
            size=self.integer(doc.get("bytes", 64), f"{inner}.bytes", 1),
            status=self.integer(doc.get("status", 200), f"{inner}.status", 100),
            duration=self.dist(doc["for"], f"{inner}.for") if doc.get("for") is not None else None,
            message=self.opt_string(doc.get("message"), f"{inner}.message"),
            type=self.opt_string(doc.get("type"), f"{inner}.type"),
            code=self.opt_string(doc.get("code"), f"{inner}.code"),
        )

    def dribble(self, value: Any, path: str) -> Dribble:
        doc = self.mapping(value, path, ("bytes", "every"), ("bytes", "every"))
        return Dribble(
            self.integer(doc["bytes"], f"{path}.bytes", 1), self.dist(doc["every"], f"{path}.every")
        )

    # -- job rules

    def job_rule(self, value: Any, path: str, index: int) -> JobRule:
        keys = (
            "name",
            "match",
            "times",
            "after",
            "probability",
            "validating",
            "queued",
            "step",
            "fail",
            "reject",
            "cancel_delay",
            "warn",
            "stale_reads",
        )
        doc = self.mapping(value, path, keys)
        label = self.string(doc["name"], f"{path}.name") if "name" in doc else f"jobs[{index}]"
        m = self.mapping(
            doc.get("match", {}), f"{path}.match", ("suffix", "model", "metadata", "organization")
        )
        match = JobMatch(
            suffix=self.opt_string(m.get("suffix"), f"{path}.match.suffix"),
            model=self.opt_string(m.get("model"), f"{path}.match.model"),
            metadata=self.str_map(m["metadata"], f"{path}.match.metadata") if m.get("metadata") else (),
            organization=self.opt_string(m.get("organization"), f"{path}.match.organization"),
        )
        queued = doc.get("queued")
        queued_seconds = None
        if queued is not None:
            queued_seconds = math.inf if queued in _FOREVER else self.duration(queued, f"{path}.queued")
        failure = self.failure(doc["fail"], f"{path}.fail") if doc.get("fail") is not None else None
        reject = None if doc.get("reject") is None else self.string(doc["reject"], f"{path}.reject")
        if reject not in (None, "moderation", "invalid_file"):
            raise self.fail(f"{path}.reject", f"expected moderation or invalid_file, got {reject!r}")
        if reject and failure:
            raise self.fail(
                f"{path}.fail", "a job rejected at validation can't also fail later: choose reject or fail"
            )
        if reject:
            for later in ("queued", "step"):
                if doc.get(later) is not None:
                    raise self.fail(
                        f"{path}.{later}", f"a job rejected at validation never reaches {later!r}"
                    )
        if failure and failure.phase != "validating_files" and queued_seconds == math.inf:
            raise self.fail(
                f"{path}.fail.phase",
                f"the job is stuck in the queue forever, so it never fails in {failure.phase!r}",
            )
        script = JobScript(
            validating_seconds=None
            if doc.get("validating") is None
            else self.duration(doc["validating"], f"{path}.validating"),
            queued_seconds=queued_seconds,
            seconds_per_step=None if doc.get("step") is None else self.duration(doc["step"], f"{path}.step"),
            failure=failure,
            reject_moderation=reject == "moderation",
            reject_invalid_file=reject == "invalid_file",
            cancel_seconds=0.0
            if doc.get("cancel_delay") is None
            else self.duration(doc["cancel_delay"], f"{path}.cancel_delay"),
            warnings=tuple(
                self.warning(w, f"{path}.warn[{i}]") for i, w in enumerate(self.items(doc, "warn"))
            ),
            stale_reads=0
            if doc.get("stale_reads") is None
            else self.integer(doc["stale_reads"], f"{path}.stale_reads"),
        )
        if script == JobScript():
            raise self.fail(
                path,
                "the job rule changes nothing: give it validating, queued, step, fail, reject, "
                "cancel_delay, warn or stale_reads",
            )
        return JobRule(
            label=label,
            match=match,
            script=script,
            times=None if doc.get("times") is None else self.integer(doc["times"], f"{path}.times", 1),
            after=0 if doc.get("after") is None else self.integer(doc["after"], f"{path}.after"),
            probability=1.0
            if doc.get("probability") is None
            else self.probability(doc["probability"], f"{path}.probability"),
        )

    def failure(self, value: Any, path: str) -> JobFailure:
        doc = self.mapping(value, path, ("phase", "at_step", "code", "message", "param"))
        phase = self.string(doc.get("phase", "running"), f"{path}.phase")
        if phase not in ("validating_files", "queued", "running"):
            raise self.fail(f"{path}.phase", f"expected validating_files, queued or running, got {phase!r}")
        at_step = None if doc.get("at_step") is None else self.integer(doc["at_step"], f"{path}.at_step", 1)
        if at_step is not None and phase != "running":
            raise self.fail(f"{path}.at_step", f"only a running job has steps, but phase is {phase!r}")
        return JobFailure(
            phase=phase,
            code=self.string(doc.get("code", "server_error"), f"{path}.code"),
            message=self.string(
                doc.get("message", "The fine-tuning job failed due to an internal error."), f"{path}.message"
            ),
            at_step=at_step,
            param=self.opt_string(doc.get("param"), f"{path}.param"),
        )

    def warning(self, value: Any, path: str) -> JobWarning:
        if isinstance(value, str):
            return JobWarning("running", value)
        doc = self.mapping(value, path, ("phase", "message", "after"), ("message",))
        phase = self.string(doc.get("phase", "running"), f"{path}.phase")
        if phase not in ("validating_files", "queued", "running"):
            raise self.fail(f"{path}.phase", f"expected validating_files, queued or running, got {phase!r}")
        after = 0.0 if doc.get("after") is None else self.duration(doc["after"], f"{path}.after")
        return JobWarning(phase, self.string(doc["message"], f"{path}.message"), after)

    def webhook_rule(self, value: Any, path: str, index: int) -> WebhookRule:
        keys = ("name", "match", "times", "after", "probability", "fault", "delay", "status")
        doc = self.mapping(value, path, keys)
        label = self.string(doc["name"], f"{path}.name") if "name" in doc else f"webhooks[{index}]"
        m = self.mapping(doc.get("match", {}), f"{path}.match", ("type", "url", "organization"))
        fault = self.opt_string(doc.get("fault"), f"{path}.fault")
        if (fault is None) == (doc.get("delay") is None):
            raise self.fail(path, "give exactly one of fault or delay")
        if fault is not None and fault not in WEBHOOK_FAULTS:
            raise self.fail(f"{path}.fault", f"expected one of {', '.join(WEBHOOK_FAULTS)}, got {fault!r}")
        if doc.get("status") is not None and fault != "receiver_error":
            raise self.fail(f"{path}.status", "status only goes with fault: receiver_error")
        status = 503 if doc.get("status") is None else self.integer(doc["status"], f"{path}.status", 100)
        if 200 <= status < 300 or status > 599:
            raise self.fail(f"{path}.status", f"a receiver error is a non-2xx HTTP status, not {status}")
        return WebhookRule(
            label=label,
            match=WebhookMatch(
                type=self.opt_string(m.get("type"), f"{path}.match.type"),
                url=self.opt_string(m.get("url"), f"{path}.match.url"),
                organization=self.opt_string(m.get("organization"), f"{path}.match.organization"),
            ),
            fault=fault,
            delay=0.0 if doc.get("delay") is None else self.duration(doc["delay"], f"{path}.delay"),
            status=status,
            times=None if doc.get("times") is None else self.integer(doc["times"], f"{path}.times", 1),
            after=0 if doc.get("after") is None else self.integer(doc["after"], f"{path}.after"),
            probability=1.0
            if doc.get("probability") is None
            else self.probability(doc["probability"], f"{path}.probability"),
        )

    def rate_limits(self, value: Any, path: str) -> RateLimits:
        keys = ("requests_per_minute", "tokens_per_minute", "max_active_jobs", "jobs_per_day")
        doc = self.mapping(value, path, keys)
        if not doc:
            raise self.fail(path, f"give at least one of {', '.join(keys)}")
        return RateLimits(**{k: self.integer(v, f"{path}.{k}", 1) for k, v in doc.items() if v is not None})
