"""ASGI middleware applying scenario decisions: rate limits, responses, delays, connection and stream faults.

It sits just inside OpenAIEdge (which has already authenticated the tenant). Delays are the only sleeps in the
emulator and live here, at the async edge. Connection faults need the socket: uvicorn's receive callable is
bound to its request cycle, which holds the transport; without one (in-process transports) a fault raises
ConnectionDropped so the client sees an exception where it would have seen a dropped connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http
import json
import random
import re
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..clock import pause
from ..domain.azure_names import fine_tuned_base
from ..domain.models import base_model, resolve_alias
from ..domain.state import Emulator, Tenant
from ..domain.tenancy import authenticate
from ..domain.tokens import count_chat_example, count_tokens, encoding_for_model
from ..errors import APIError, InvalidRequestError, RateLimitError
from ..headers import picked
from ..rendering import error_response
from ..request_body import read_json_body
from .dsl import CANNED_ERRORS, FAULTS, Dist, Fault, Respond, Rule, Scenario, ScenarioError, parse_scenario
from .engine import Decision, RequestFacts, ScenarioInstance

__all__ = [
    "FAULT_HEADER",
    "SCENARIO_HEADER",
    "ConnectionDropped",
    "ConnectionFaults",
    "ScenarioMiddleware",
    "parse_fault_header",
]

SCENARIO_HEADER = "x-emulator-scenario"
FAULT_HEADER = "x-emulator-fault"
MAX_HOLD = 3600.0  # longest a stall or slow answer waits when the client never gives up
_SERVER_ERROR = CANNED_ERRORS["server_error"].message
DROP_KEY = "scenario_drop"
_INBAND_NAMES = frozenset({FAULT_HEADER.encode(), SCENARIO_HEADER.encode()})  # a request naming its scenario


class ConnectionDropped(Exception):
    """Raised in place of dropping a connection when the server has no socket (in-process transports)."""


class ScenarioMiddleware:
    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: dict[str, Any] = scope.get("state") or {}
        tenant: Tenant | None = state.get("tenant")
        if scope["type"] != "http" or tenant is None or not scope["path"].startswith("/v1"):
            await self.app(scope, receive, send)
            return
        engine = self.emulator.scenarios
        org = tenant.organization
        raw_headers = scope["headers"]
        try:
            instance = self._inband(raw_headers, org.id)
        except APIError as exc:
            await error_response(exc)(scope, receive, send)
            return
        body, replay = await _read_json_body(scope, receive, raw_headers)
        if body is None and instance is None and not engine.has_scenarios(org.id):
            # No rule to match and nothing to charge but the request itself: the usual read.
            if await self._admitted(scope, replay, send, state, org.id, 0, None):
                await self.app(scope, replay, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw_headers}
        facts = RequestFacts(
            method=scope["method"],
            path=scope["path"],
            query=_query(scope),
            headers=headers,
            body=body,
            organization=org.id,
            organization_name=org.name,
            api_key=state.get("api_key") or _api_key(headers),  # the edge has read it already
        )
        charged = _estimate_tokens(facts)
        if not await self._admitted(scope, replay, send, state, org.id, charged, facts.model):
            return
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        decision = engine.decide(facts, instance)
        try:
            with engine.bound(instance) as job_rules:
                if decision is None:
                    await self.app(scope, replay, watch)
                else:
                    state["journal_rule"] = decision.label
                    await _Run(self.app, scope, replay, watch, state, decision, facts).go()
        finally:
            if charged and (not status or 400 <= status[0] < 500):
                engine.refund(org.id, charged)  # a refused request costs no tokens
        if job_rules:
            labels = [state["journal_rule"]] if state.get("journal_rule") else []
            state["journal_rule"] = ", ".join(labels + job_rules)

    async def _admitted(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        state: dict[str, Any],
        organization: str,
        tokens: int,
        model: str | None,
    ) -> bool:
        """Charge the request to the tenant's rate limits; answer the 429 and say False when it is over."""
        try:
            limit_headers = self.emulator.scenarios.admit(organization, tokens, model)
        except RateLimitError as exc:
            state["journal_rule"] = "rate_limits"
            await error_response(exc)(scope, receive, send)
            return False
        if limit_headers:
            state["rate_limit_headers"] = limit_headers
        return True

    def _inband(self, raw_headers: list[tuple[bytes, bytes]], organization: str) -> ScenarioInstance | None:
        engine = self.emulator.scenarios
        headers = picked(raw_headers, _INBAND_NAMES)
        if not headers:
            return None
        fault = headers.get(FAULT_HEADER)
        if fault:
            try:
                scenario = parse_fault_header(fault)
            except ScenarioError as exc:
                raise InvalidRequestError(
                    f"Invalid X-Emulator-Fault header {fault!r}: {exc.problem}"
                ) from None
            return engine.inband(scenario, organization, key=f"fault:{fault}")
        name = headers.get(SCENARIO_HEADER)
        if name:
            try:
                scenario = engine.find(name.strip(), organization)
            except (KeyError, ScenarioError) as exc:
                detail = exc.problem if isinstance(exc, ScenarioError) else f"no scenario named {name!r}"
                raise InvalidRequestError(f"Invalid X-Emulator-Scenario header: {detail}") from None
            return engine.inband(scenario, organization)
        return None


@dataclass(frozen=True)
class _Drop:
    kind: str
    reset: bool  # RST (SO_LINGER 0) rather than a clean FIN
    data: bytes = b""  # written raw before closing (random_data)


class ConnectionFaults:
    """Outermost middleware: performs the connection drops ScenarioMiddleware asked for.

    It runs after OpenAIEdge has journaled the request, so by the time a client sees its connection
    drop, the journal already holds the attempt.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        drop = (scope.get("state") or {}).get(DROP_KEY) if scope["type"] == "http" else None
        if drop is None:
            return
        transport = _transport(receive)
        if transport is None:
            raise ConnectionDropped(f"scenario fault {drop.kind}: the connection would be dropped here")
        if drop.data:
            transport.write(drop.data)
        if drop.reset:
            sock = transport.get_extra_info("socket")
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()
        # Wait until uvicorn has noticed, so it doesn't try to answer (or complain about) a closed connection.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(_until_disconnect(receive), 2.0)


class _Run:
    """One request that a rule fired for: applies its delay, then its response, fault or shaping."""

    def __init__(
        self,
        app: ASGIApp,
        scope: Scope,
        receive: Receive,
        send: Send,
        state: dict[str, Any],
        decision: Decision,
        facts: RequestFacts,
    ) -> None:
        self.app, self.scope, self.receive, self.send = app, scope, receive, send
        self.state = state
        self.rule: Rule = decision.rule
        self.delay = decision.delay
        self.rng = random.Random(decision.seed)
        self.facts = facts
        self.dropped = False

    async def go(self) -> None:
        rule, fault = self.rule, self.rule.fault
        if self.delay > 0:
            await pause(self.delay)
        if rule.respond is not None:
            self.state["scenario_respond"] = True  # a body the scenario's author wrote: not the emulator's
            response = _respond(rule.respond, self.facts, self.state["request_id"])
            await response(self.scope, self.receive, self._shaped(self.send))
            return
        if fault is None:
            await self.app(self.scope, self.receive, self._shaped(self.send))
            return
        self.state["journal_extra"] = {"fault": fault.kind}
        if fault.kind in ("reset", "empty_response", "random_data"):
            self.state["journal_status"] = 0
            data = self.rng.randbytes(fault.size) if fault.kind == "random_data" else b""
            self._drop(reset=fault.kind == "reset", data=data)
        elif fault.kind == "malformed_body":
            await self._malformed_body(fault)
        elif fault.kind in ("commit_then_drop", "slow_success"):
            await self._after_handler(fault)
        elif fault.kind == "truncate_body":
            await self.app(self.scope, self.receive, self._truncating(fault))
        else:
            await self.app(self.scope, self.receive, self._shaped(self.send, fault))

    # -- connection-level

    def _drop(self, *, reset: bool, data: bytes = b"") -> None:
        """Ask ConnectionFaults to close the connection once the edge has journaled the request; from
        here on nothing more is sent."""
        self.dropped = True
        kind = self.rule.fault.kind if self.rule.fault else "drop"
        self.state[DROP_KEY] = _Drop(kind, reset, data)

    async def _malformed_body(self, fault: Fault) -> None:
        token = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(24))
        body = (
            '{"id": "' + token + '", "object": "list", "data": [{"id": "obj_' + token[:8] + '", "crea'
        ).encode()
        await Response(body, fault.status, media_type="application/json")(self.scope, self.receive, self.send)

    async def _after_handler(self, fault: Fault) -> None:
        held: list[Message] = []

        async def capture(message: Message) -> None:
            held.append(message)

        await self.app(self.scope, self.receive, capture)
        status = next((m["status"] for m in held if m["type"] == "http.response.start"), 0)
        if fault.kind == "commit_then_drop":
            self.state["journal_status"] = 0
            self.state["journal_extra"] = {"fault": fault.kind, "handler_status": status}
            self._drop(reset=True)
            return
        seconds = (
            fault.duration.sample(self.rng) if fault.duration else _past_read_timeout(self.facts.headers)
        )
        if await _sleep_or_disconnect(seconds, self.receive):
            self.state["journal_status"] = 0
            self.state["journal_extra"] = {
                "fault": fault.kind,
                "handler_status": status,
                "client_gave_up": True,
            }
            return
        send = self._shaped(self.send)
        for message in held:
            await send(message)

    def _truncating(self, fault: Fault) -> Send:
        sent = 0

        async def send(message: Message) -> None:
            nonlocal sent
            if self.dropped:
                return
            if message["type"] != "http.response.body":
                await self.send(message)
                return
            chunk = message.get("body", b"")
            final = not message.get("more_body", False)
            room = fault.after_bytes - sent
            if room >= len(chunk) and not final:
                sent += len(chunk)
                await self.send(message)
                return
            keep = max(0, min(room, len(chunk) - 1 if final else len(chunk)))
            if keep:
                await self.send({"type": "http.response.body", "body": chunk[:keep], "more_body": True})
            self._drop(reset=False)

        return send

    # -- shaping: dribbled bodies, chunk delays and stream faults

    def _shaped(self, send: Send, fault: Fault | None = None) -> Send:
        rule = self.rule
        if fault is None and rule.dribble is None and rule.chunk_delay is None:
            return send
        return _Shaper(
            self,
            send,
            fault,
            rule.chunk_delay,
            rule.dribble.size if rule.dribble else 0,
            rule.dribble.every if rule.dribble else None,
        )


class _Shaper:
    """A send wrapper that dribbles bodies and, for text/event-stream answers, delays and breaks events."""

    def __init__(
        self,
        run: _Run,
        send: Send,
        fault: Fault | None,
        chunk_delay: Dist | None,
        size: int,
        every: Dist | None,
    ) -> None:
        self.run, self.send, self.fault = run, send, fault
        self.chunk_delay, self.size, self.every = chunk_delay, size, every
        self.sse = False
        self.buffer = b""
        self.events = 0
        self.finished = False

    async def __call__(self, message: Message) -> None:
        if self.finished or self.run.dropped:
            return
        if message["type"] == "http.response.start":
            content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            self.sse = content_type.startswith(b"text/event-stream")
            if self.fault is not None and not self.sse:
                self.run.state["journal_extra"] = {"fault": self.fault.kind, "applied": False}
                self.fault = None
            await self.send(message)
            return
        if message["type"] != "http.response.body":
            await self.send(message)
            return
        more = message.get("more_body", False)
        if not self.sse:
            await self._write(message.get("body", b""), more)
            return
        self.buffer += message.get("body", b"")
        while True:
            found = _EVENT_END.search(self.buffer)
            if found is None:
                break
            event, self.buffer = self.buffer[: found.end()], self.buffer[found.end() :]
            await self._event(event)
            if self.finished or self.run.dropped:
                return
        if not more:
            if self.fault is not None:  # the stream ended before the fault's turn: apply it at the end
                await self._fault_now(b"")
                if self.finished or self.run.dropped:
                    return
            await self._write(self.buffer, False)
            self.finished = True

    async def _event(self, event: bytes) -> None:
        data = [line[5:].strip() for line in event.splitlines() if line.startswith(b"data:")]
        if not data:
            await self._write(event, True)
            return
        done = data[0] == b"[DONE]"
        if self.fault is not None and (done or self.events >= self.fault.after_chunks):
            event = await self._fault_now(event)
            if self.finished or self.run.dropped:
                return
        if self.chunk_delay is not None and self.events > 0 and not done:
            await pause(self.chunk_delay.sample(self.run.rng))
        self.events += 0 if done else 1
        await self._write(event, True)

    async def _fault_now(self, event: bytes) -> bytes:
        """Apply the stream fault before `event`; returns the event to send (changed when malformed)."""
        fault, self.fault = self.fault, None
        assert fault is not None
        if fault.kind == "truncate_stream":
            self.run._drop(reset=False)
        elif fault.kind == "stall_stream":
            seconds = fault.duration.sample(self.run.rng) if fault.duration else MAX_HOLD
            if await _sleep_or_disconnect(seconds, self.run.receive):
                self.finished = True
        elif fault.kind == "error_event":
            error = {
                "message": fault.message or _SERVER_ERROR,
                "type": fault.type or "server_error",
                "param": None,
                "code": fault.code,
            }
            await self._write(b"data: " + json.dumps({"error": error}).encode() + b"\n\n", False)
            self.finished = True
        elif fault.kind == "malformed_chunk" and event:
            payload = event.split(b"data:", 1)[1].strip()
            return b"data: " + payload[: max(1, len(payload) // 2)] + b"\n\n"
        return event

    async def _write(self, body: bytes, more: bool) -> None:
        if self.size <= 0 or len(body) <= self.size:
            await self.send({"type": "http.response.body", "body": body, "more_body": more})
            if self.every is not None and body and more:
                await pause(self.every.sample(self.run.rng))
            return
        for start in range(0, len(body), self.size):
            piece = body[start : start + self.size]
            last = start + self.size >= len(body)
            await self.send({"type": "http.response.body", "body": piece, "more_body": more or not last})
            if not (last and not more) and self.every is not None:
                await pause(self.every.sample(self.run.rng))


_EVENT_END = re.compile(rb"\r?\n\r?\n")


# ---------------------------------------------------------------- helpers


def _respond(respond: Respond, facts: RequestFacts, request_id: str) -> Response:
    headers = dict(respond.headers)
    if respond.body is not None:
        if isinstance(respond.body, str):
            return Response(
                _fill(respond.body, facts, request_id),
                respond.status,
                headers=headers,
                media_type=respond.content_type or "text/plain",
            )
        response = JSONResponse(respond.body, respond.status, headers=headers)
        if respond.content_type:
            response.headers["content-type"] = respond.content_type
        return response
    if respond.status < 400:
        return Response(b"", respond.status, headers=headers)
    status = respond.status
    kind = respond.type or (
        "server_error" if status >= 500 else "requests" if status == 429 else "invalid_request_error"
    )
    message = respond.message or (_SERVER_ERROR if status >= 500 else _phrase(status))
    error = APIError(
        _fill(message, facts, request_id),
        param=respond.param,
        code=respond.code,
        type=kind,
        status_code=status,
        headers=headers,
    )
    return error_response(error)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


_PLACEHOLDER = re.compile(r"\{(request_id|model|organization|method|path)\}")


def _fill(text: str, facts: RequestFacts, request_id: str) -> str:
    if not facts.model:  # OpenAI leaves the model out of a rate-limit message that has none
        text = text.replace(" for {model} ", " ")
    values = {
        "request_id": request_id,
        "model": facts.model or "default",
        "organization": facts.organization,
        "method": facts.method,
        "path": facts.path,
    }
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def _transport(receive: Receive) -> Any:
    """uvicorn's transport for this connection (its receive is a bound method of the request cycle)."""
    owner = getattr(receive, "__self__", None)
    return getattr(owner, "transport", None)


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _sleep_or_disconnect(seconds: float, receive: Receive) -> bool:
    """Sleep up to `seconds` (capped); True when the client went away first. The body must be consumed."""
    sleeper = asyncio.ensure_future(pause(min(seconds, MAX_HOLD)))
    watcher = asyncio.ensure_future(_until_disconnect(receive))
    try:
        done, _ = await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        watcher.cancel()
    return watcher in done and not watcher.cancelled() and watcher.exception() is None


def _past_read_timeout(headers: Mapping[str, str]) -> float:
    """Longer than the client will wait: the SDK announces its read timeout in x-stainless-read-timeout."""
    try:
        return float(headers["x-stainless-read-timeout"]) + 1.0
    except (KeyError, ValueError):
        return 601.0


def _query(scope: Scope) -> dict[str, str]:
    raw = scope.get("query_string", b"")
    return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)) if raw else {}


def _api_key(headers: dict[str, str]) -> str | None:
    try:
        return authenticate(headers.get("authorization"), ())
    except APIError:
        return None


async def _read_json_body(
    scope: Scope, receive: Receive, raw_headers: list[tuple[bytes, bytes]]
) -> tuple[Any, Receive]:
    """Read a JSON request body so rules can match on it, and hand the handler a receive that replays it."""
    if scope["method"] not in ("POST", "PUT", "PATCH"):
        return None, receive
    content_type = b""
    for name, value in raw_headers:
        if name.lower() == b"content-type":
            content_type = value
    if b"json" not in content_type:
        return None, receive
    return await read_json_body(receive)


def _allowance(limit: Any, model: str | None, default: int) -> int:
    """The completion tokens a request may use: its limit, unless the limit cannot be valid for the model
    (not an integer, or beyond its context window), which the handler answers with a 400, not a 429."""
    if not isinstance(limit, int) or isinstance(limit, bool):
        return default
    name = model or ""
    base = base_model(resolve_alias(fine_tuned_base(name) or name))
    window = base.context_window if base is not None else 1_048_576
    return limit if 0 < limit <= window else 0


def _estimate_tokens(facts: RequestFacts) -> int:
    """What OpenAI charges a TPM bucket up front: the prompt's tokens plus the most it may generate."""
    body = facts.body
    if not isinstance(body, dict) or facts.method != "POST":
        return 0
    encoding = encoding_for_model(facts.model or "")
    try:
        if facts.path == "/v1/chat/completions" and isinstance(body.get("messages"), list):
            prompt = count_chat_example([m for m in body["messages"] if isinstance(m, dict)], encoding)
            limit = body.get("max_completion_tokens") or body.get("max_tokens") or 0
            return prompt + _allowance(limit, facts.model, 0)
        if facts.path == "/v1/completions":
            prompt_value = body.get("prompt", "")
            prompts = prompt_value if isinstance(prompt_value, list) else [prompt_value]
            prompt = sum(count_tokens(p, encoding) for p in prompts if isinstance(p, str))
            limit = body.get("max_tokens", 16)
            return prompt + _allowance(limit, facts.model, 16) * max(1, len(prompts))
    except Exception:  # a malformed body is the handler's 400 to give, not ours
        return 0
    return 0


# ---------------------------------------------------------------- the X-Emulator-Fault header

_RESPOND_PARAMS = ("status", "error", "message", "type", "code", "param")
_HEADER_PARAMS = ("retry-after", "retry-after-ms", "x-should-retry")
_RULE_PARAMS = ("times", "after", "probability", "delay")


def _value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


@functools.lru_cache(maxsize=256)
def parse_fault_header(value: str) -> Scenario:
    """The X-Emulator-Fault header as a one-rule scenario.

    `<fault>[;k=v]...`, `<canned error>[;k=v]...`, `<status>[;k=v]...` or `delay;for=2s`.

    Examples: `reset;times=2`, `truncate_stream;after_chunks=3`, `overloaded;retry-after-ms=10`,
    `503;x-should-retry=false`, `slow_success;for=2s`, `delay;for=250ms;times=1`.
    """
    action, *parts = [p.strip() for p in value.split(";") if p.strip()] or [""]
    params: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for part in parts:
        key, sep, raw = part.partition("=")
        if not sep:
            raise ScenarioError(f"expected key=value, got {part!r}")
        texts[key.strip().lower()] = raw.strip()
        params[key.strip().lower()] = _value(raw.strip())
    rule: dict[str, Any] = {"name": value}
    for key in _RULE_PARAMS:
        if key in params:
            rule[key] = params.pop(key)
    if action in FAULTS:
        rule["fault"] = {action: params} if params else action
    elif action == "delay":
        if "for" not in params:
            raise ScenarioError("delay needs for=<duration>, e.g. delay;for=250ms")
        rule["delay"] = params.pop("for")
    elif action in CANNED_ERRORS or action.isdigit():
        respond: dict[str, Any] = {"error": action} if action in CANNED_ERRORS else {"status": int(action)}
        headers = {k: texts[k] for k in _HEADER_PARAMS if params.pop(k, None) is not None}
        respond.update({k: params.pop(k) for k in _RESPOND_PARAMS if k in params})
        if headers:
            respond["headers"] = headers
        rule["respond"] = respond
    else:
        known = ", ".join([*FAULTS, *CANNED_ERRORS, "<status>", "delay"])
        raise ScenarioError(f"unknown fault {action!r} (known: {known})")
    if params and "fault" not in rule:
        raise ScenarioError(f"unknown parameter {next(iter(params))!r}")
    try:
        return parse_scenario({"name": "x-emulator-fault", "rules": [rule]}, source=FAULT_HEADER)
    except ScenarioError as exc:
        key = exc.path.rsplit(".", 1)[-1]
        raise ScenarioError(f"{key}: {exc.problem}" if exc.path else exc.problem) from None
