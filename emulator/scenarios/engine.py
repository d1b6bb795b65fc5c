"""The scenario engine: (request facts, counters, named states, seeded draws, clock window) → Decision."""

from __future__ import annotations

import dataclasses
import functools
import random
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ..domain.calendar import LifecycleSpec
from ..domain.jobscript import JobScript
from ..domain.webhooks import WebhookFault
from ..ids import derive_seed
from .dsl import INITIAL_STATE, JobMatch, Match, Rule, Scenario, WebhookMatch
from .ratelimit import JobCaps, Limits, RateLimiter

__all__ = ["Decision", "RequestFacts", "ScenarioEngine", "ScenarioInstance", "glob_match"]


@dataclass(frozen=True)
class RequestFacts:
    """What a rule can look at. `body` is the parsed JSON body (None for multipart or empty bodies)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: Any
    organization: str  # org-… id
    organization_name: str = ""
    api_key: str | None = None

    @property
    def model(self) -> str | None:
        model = self.body.get("model") if isinstance(self.body, dict) else None
        return model if isinstance(model, str) else None

    @property
    def stream(self) -> bool:
        return isinstance(self.body, dict) and self.body.get("stream") is True


@dataclass(frozen=True)
class Decision:
    """The rule that fired for one request and the values drawn for it."""

    label: str  # "<scenario>:<rule>", as the journal records it
    rule: Rule
    delay: float  # seconds before the response, already drawn
    seed: int  # for this request's own draws (chunk delays, random bytes)


@functools.lru_cache(maxsize=512)
def _compile(pattern: str, path_mode: bool) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        char = pattern[i]
        if char == "*":
            out.append("[^/]*" if path_mode else ".*")
        elif char == "?":
            out.append("[^/]" if path_mode else ".")
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z", re.S)


def glob_match(pattern: str, value: str, *, path: bool = False) -> bool:
    """Shell-style globs; in paths `*` stays inside one segment and `**` crosses them."""
    return _compile(pattern, path).match(value) is not None


def _lookup(body: Any, dotted: str) -> tuple[bool, Any]:
    value = body
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str):
        return isinstance(actual, str) and glob_match(expected, actual)
    return bool(type(expected) is type(actual) and expected == actual)


def matches(match: Match, facts: RequestFacts) -> bool:
    if match.methods and facts.method.upper() not in match.methods:
        return False
    if match.paths and not any(glob_match(p, facts.path, path=True) for p in match.paths):
        return False
    if match.model is not None and (facts.model is None or not glob_match(match.model, facts.model)):
        return False
    if match.stream is not None and facts.stream != match.stream:
        return False
    for name, pattern in match.headers:
        if name not in facts.headers or not glob_match(pattern, facts.headers[name]):
            return False
    for name, pattern in match.query:
        if name not in facts.query or not glob_match(pattern, facts.query[name]):
            return False
    for dotted, expected in match.body:
        found, actual = _lookup(facts.body, dotted)
        if not found or not _same(expected, actual):
            return False
    if match.api_key is not None and (facts.api_key is None or not glob_match(match.api_key, facts.api_key)):
        return False
    if match.organization is not None and not (
        glob_match(match.organization, facts.organization)
        or glob_match(match.organization, facts.organization_name)
    ):
        return False
    return True


def _job_matches(
    match: JobMatch, request: Mapping[str, Any], organization: str, organization_name: str
) -> bool:
    for pattern, value in ((match.suffix, request.get("suffix")), (match.model, request.get("model"))):
        if pattern is not None and (not isinstance(value, str) or not glob_match(pattern, value)):
            return False
    metadata = request.get("metadata") or {}
    for key, pattern in match.metadata:
        value = metadata.get(key) if isinstance(metadata, dict) else None
        if not isinstance(value, str) or not glob_match(pattern, value):
            return False
    if match.organization is not None and not (
        glob_match(match.organization, organization) or glob_match(match.organization, organization_name)
    ):
        return False
    return True


def _webhook_matches(
    match: WebhookMatch, event_type: str, url: str, organization: str, organization_name: str
) -> bool:
    if match.type is not None and not glob_match(match.type, event_type):
        return False
    if match.url is not None and not glob_match(match.url, url, path=True):
        return False
    return match.organization is None or (
        glob_match(match.organization, organization) or glob_match(match.organization, organization_name)
    )


class ScenarioInstance:
    """One active scenario: its counters, its named state, its random stream and when it was loaded."""

    def __init__(self, scenario: Scenario, scope: str | None, seed: int, now: float, origin: str) -> None:
        self.scenario = scenario
        self.scope = scope  # None: every tenant; else an organization id
        self.origin = origin  # "settings", "api" or "header"
        self.activated = now
        self.state = INITIAL_STATE
        self.matched = [0] * len(scenario.rules)
        self.fired = [0] * len(scenario.rules)
        self.job_matched = [0] * len(scenario.jobs)
        self.job_fired = [0] * len(scenario.jobs)
        self.webhook_matched = [0] * len(scenario.webhooks)
        self.webhook_fired = [0] * len(scenario.webhooks)
        base = scenario.seed if scenario.seed is not None else seed
        self.rng = random.Random(derive_seed(base, "scenario", scope or "*", scenario.name))

    def decide(self, facts: RequestFacts, now: float) -> Decision | None:
        for i, rule in enumerate(self.scenario.rules):
            if rule.when_state is not None and rule.when_state != self.state:
                continue
            if rule.window is not None and not rule.window.start <= now - self.activated < rule.window.end:
                continue
            if rule.times is not None and self.fired[i] >= rule.times:
                continue
            if not matches(rule.match, facts):
                continue
            self.matched[i] += 1
            if self.matched[i] <= rule.after:
                continue
            if rule.probability < 1.0 and self.rng.random() >= rule.probability:
                continue
            self.fired[i] += 1
            if rule.set_state is not None:
                self.state = rule.set_state
            delay = rule.delay.sample(self.rng) if rule.delay is not None else 0.0
            return Decision(f"{self.scenario.name}:{rule.label}", rule, delay, self.rng.getrandbits(64))
        return None

    def job_script(
        self, request: Mapping[str, Any], organization: str, organization_name: str
    ) -> JobScript | None:
        for i, rule in enumerate(self.scenario.jobs):
            if rule.times is not None and self.job_fired[i] >= rule.times:
                continue
            if not _job_matches(rule.match, request, organization, organization_name):
                continue
            self.job_matched[i] += 1
            if self.job_matched[i] <= rule.after:
                continue
            if rule.probability < 1.0 and self.rng.random() >= rule.probability:
                continue
            self.job_fired[i] += 1
            return dataclasses.replace(rule.script, rule=f"{self.scenario.name}:{rule.label}")
        return None

    def webhook_fault(
        self, organization: str, organization_name: str, event_type: str, url: str, attempt: int
    ) -> WebhookFault | None:
        """Attempt 0 asks for a delay before the first attempt; later attempts for a fault."""
        for i, rule in enumerate(self.scenario.webhooks):
            if (rule.fault is None) != (attempt == 0):
                continue
            if rule.times is not None and self.webhook_fired[i] >= rule.times:
                continue
            if not _webhook_matches(rule.match, event_type, url, organization, organization_name):
                continue
            self.webhook_matched[i] += 1
            if self.webhook_matched[i] <= rule.after:
                continue
            if rule.probability < 1.0 and self.rng.random() >= rule.probability:
                continue
            self.webhook_fired[i] += 1
            label = f"{self.scenario.name}:{rule.label}"
            return WebhookFault(rule.fault or "delay", label, delay=rule.delay, status=rule.status)
        return None

    def describe(self) -> dict[str, Any]:
        s = self.scenario
        return {
            "name": s.name,
            "description": s.description,
            "scope": self.scope or "global",
            "origin": self.origin,
            "source": s.source,
            "state": self.state,
            "loaded_at": self.activated,
            "rules": [
                {"name": r.label, "matched": m, "fired": f}
                for r, m, f in zip(s.rules, self.matched, self.fired, strict=True)
            ],
            "jobs": [
                {"name": r.label, "matched": m, "fired": f}
                for r, m, f in zip(s.jobs, self.job_matched, self.job_fired, strict=True)
            ],
            "webhooks": [
                {"name": r.label, "matched": m, "fired": f}
                for r, m, f in zip(s.webhooks, self.webhook_matched, self.webhook_fired, strict=True)
            ],
            "rate_limits": dataclasses.asdict(s.rate_limits) if s.rate_limits else None,
        }


_INBAND: ContextVar[ScenarioInstance | None] = ContextVar("emulator_inband_scenario", default=None)
_JOB_RULES: ContextVar[list[str] | None] = ContextVar("emulator_job_rules", default=None)


class ScenarioEngine:
    """Active scenarios (global and per tenant), in-band instances, rate-limit buckets and job caps.

    Thread-safe: one lock guards every counter, state and random draw, so the same seed and the same
    sequence of requests give the same decisions.
    """

    def __init__(
        self,
        seed: int,
        now: Callable[[], float],
        defaults: Limits,
        library: Callable[[str], Scenario] | None = None,
    ) -> None:
        self.seed = seed
        self._now = now
        self.defaults = defaults
        self._library = library
        self._lock = threading.RLock()
        self._startup: list[Scenario] = []
        self._global: dict[str, ScenarioInstance] = {}
        self._tenants: dict[str, dict[str, ScenarioInstance]] = {}
        self._inband: dict[tuple[str, str], ScenarioInstance] = {}
        self.limiter = RateLimiter()
        self.caps = JobCaps()
        self._limits: dict[str, Limits] = {}  # per organization, see `limits`
        self._limits_for: Limits | None = None

    # -- loading

    def add_startup(self, scenario: Scenario) -> None:
        """A scenario that survives resets (from Settings.scenarios / `serve --scenario`)."""
        with self._lock:
            self._limits.clear()
            self._startup.append(scenario)
            self._global[scenario.name] = ScenarioInstance(scenario, None, self.seed, self._now(), "settings")

    def load(self, scenario: Scenario, organization: str | None = None) -> dict[str, Any]:
        """Activate `scenario` for every tenant or one; a scenario of the same name there is replaced."""
        with self._lock:
            self._limits.clear()
            instance = ScenarioInstance(scenario, organization, self.seed, self._now(), "api")
            scope = self._global if organization is None else self._tenants.setdefault(organization, {})
            scope.pop(scenario.name, None)
            scope[scenario.name] = instance
            return instance.describe()

    def unload(self, name: str, organization: str | None = None) -> bool:
        with self._lock:
            self._limits.clear()
            scope = self._global if organization is None else self._tenants.get(organization, {})
            return scope.pop(name, None) is not None

    def clear(self, organization: str | None = None) -> None:
        """Deactivate every scenario (or one tenant's); startup scenarios come back on the next reset."""
        with self._lock:
            self._limits.clear()
            if organization is None:
                self._global.clear()
                self._tenants.clear()
                self._inband.clear()
            else:
                self._tenants.pop(organization, None)
                for key in [k for k in self._inband if k[0] == organization]:
                    del self._inband[key]

    def reset(self, organization: str | None = None) -> None:
        """Forget counters, states, buckets and API-loaded scenarios; startup scenarios restart fresh."""
        with self._lock:
            self._limits.clear()
            self.clear(organization)
            self.limiter.reset(organization)
            self.caps.reset(organization)
            if organization is None:
                now = self._now()
                for scenario in self._startup:
                    self._global[scenario.name] = ScenarioInstance(scenario, None, self.seed, now, "settings")

    def describe(self, organization: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if organization is not None:
                return [i.describe() for i in self._applicable(organization)]
            tenants = [i for scope in self._tenants.values() for i in scope.values()]
            return [i.describe() for i in [*self._global.values(), *tenants, *self._inband.values()]]

    def find(self, name: str, organization: str | None = None) -> Scenario:
        """A scenario by name: active ones first, then the library. Raises KeyError."""
        with self._lock:
            for instance in self._applicable(organization):
                if instance.scenario.name == name:
                    return instance.scenario
        if self._library is not None:
            return self._library(name)
        raise KeyError(name)

    def _applicable(self, organization: str | None) -> list[ScenarioInstance]:
        tenant = list(self._tenants.get(organization, {}).values()) if organization else []
        return [*tenant, *self._global.values()]

    # -- decisions

    def inband(self, scenario: Scenario, organization: str, key: str | None = None) -> ScenarioInstance:
        """The per-tenant instance a request header refers to, kept across requests (so `times` counts)."""
        with self._lock:
            slot = (organization, key or f"scenario:{scenario.name}")
            instance = self._inband.get(slot)
            if instance is None or instance.scenario != scenario:
                instance = self._inband[slot] = ScenarioInstance(
                    scenario, organization, self.seed, self._now(), "header"
                )
            return instance

    @contextmanager
    def bound(self, instance: ScenarioInstance | None) -> Iterator[list[str]]:
        """Make `instance` the only scenario for this request (and for the job it may create); yields the
        labels of the job rules that fire while handling it, for the journal."""
        token = _INBAND.set(instance)
        fired: list[str] = []
        rules_token = _JOB_RULES.set(fired)
        try:
            yield fired
        finally:
            _JOB_RULES.reset(rules_token)
            _INBAND.reset(token)

    def decide(self, facts: RequestFacts, instance: ScenarioInstance | None = None) -> Decision | None:
        now = self._now()
        with self._lock:
            if instance is not None:
                return instance.decide(facts, now)
            for candidate in self._applicable(facts.organization):
                decision = candidate.decide(facts, now)
                if decision is not None:
                    return decision
        return None

    def lifecycle(self, organization: str) -> tuple[list[LifecycleSpec], list[LifecycleSpec]]:
        """The `lifecycle` sections of the active scenarios: (global ones, the tenant's own), each in load
        order so later ones win. A request's in-band scenario (X-Emulator-Scenario) joins the tenant's."""
        inband = _INBAND.get()
        with self._lock:
            shared = [i.scenario.lifecycle for i in self._global.values() if i.scenario.lifecycle]
            mine = [*self._tenants.get(organization, {}).values(), *([inband] if inband else [])]
            own = [i.scenario.lifecycle for i in mine if i.scenario.lifecycle]
        return shared, own

    def has_scenarios(self, organization: str) -> bool:
        """Whether any scenario applies to the tenant's requests (besides one a request names itself)."""
        return bool(self._global) or bool(self._tenants.get(organization))

    def limits(self, organization: str) -> Limits:
        """Settings' limits, overridden by global scenarios, overridden by the tenant's own: worked out once
        per tenant and kept until a scenario is loaded, unloaded or reset (or the defaults change)."""
        with self._lock:
            if self._limits_for is not self.defaults:
                self._limits.clear()
                self._limits_for = self.defaults
            found = self._limits.get(organization)
            if found is None:
                found = self._limits[organization] = self._merged_limits(organization)
            return found

    def _merged_limits(self, organization: str) -> Limits:
        values = dataclasses.asdict(self.defaults)
        names = {
            "requests_per_minute": "requests",
            "tokens_per_minute": "tokens",
            "max_active_jobs": "max_active_jobs",
            "jobs_per_day": "jobs_per_day",
        }
        with self._lock:
            for instance in reversed(self._applicable(organization)):
                limits = instance.scenario.rate_limits
                if limits is None:
                    continue
                for field_name, key in names.items():
                    value = getattr(limits, field_name)
                    if value is not None:
                        values[key] = value
        return Limits(**values)

    def admit(self, organization: str, tokens: int, model: str | None) -> dict[str, str]:
        """Charge one request to the tenant's buckets: its x-ratelimit-* headers, or RateLimitError."""
        return self.limiter.admit(organization, self.limits(organization), tokens, model, self._now())

    def refund(self, organization: str, tokens: int) -> None:
        self.limiter.refund(organization, tokens)

    def webhook_fault(
        self, organization: str, organization_name: str, event_type: str, url: str, attempt: int
    ) -> WebhookFault | None:
        """The first webhook rule of the tenant's scenarios that fires for this delivery attempt."""
        with self._lock:
            for instance in self._applicable(organization):
                fault = instance.webhook_fault(organization, organization_name, event_type, url, attempt)
                if fault is not None:
                    return fault
        return None

    def job_script(
        self, organization: str, organization_name: str, request: Mapping[str, Any], active_jobs: int = 0
    ) -> JobScript | None:
        """Enforce the job caps, then the first job rule that matches `request` (in-band scenario first)."""
        model = request.get("model")
        self.caps.admit(
            organization,
            model if isinstance(model, str) else "",
            self.limits(organization),
            active_jobs,
            self._now(),
        )
        with self._lock:
            bound = _INBAND.get()
            candidates = [bound] if bound is not None else self._applicable(organization)
            for instance in candidates:
                script = instance.job_script(request, organization, organization_name)
                if script is not None:
                    fired = _JOB_RULES.get()
                    if fired is not None and script.rule is not None:
                        fired.append(script.rule)
                    return script
        return None
