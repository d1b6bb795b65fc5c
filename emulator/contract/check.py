"""The runtime contract check: every JSON body the emulator accepts or sends, validated against the spec.

Modes: "off"; "warn" (log the violation and name it in an `x-emulator-contract-violation` response
header); "strict" (also replace the response by a 500 that says what was wrong, with `x-should-retry:
false`, so no invalid body ever reaches a client). Violations are kept in a `ContractReport` that the
pytest plugin turns into a test failure. Bodies a scenario broke on purpose are not checked.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .spec import Contract, load

__all__ = ["HEADER", "MODES", "ContractCheck", "ContractReport", "Violation", "format_violations", "is_json"]

MODES = ("off", "warn", "strict")
HEADER = "x-emulator-contract-violation"
MAX_BODY = 4 * 1024 * 1024  # larger JSON bodies pass unchecked (validation cost grows with size)
_BROKEN_ON_PURPOSE = frozenset(
    {"malformed_body", "truncate_body", "reset", "empty_response", "random_data", "commit_then_drop"}
)
log = logging.getLogger("emulator.contract")
_REMEMBERED = 256  # conforming responses remembered (cleared when full)
_REMEMBERED_BODY = 16 * 1024  # larger ones are checked every time


class Violation:
    """One request or response that did not validate, with the first few schema errors."""

    def __init__(self, request_id: str, method: str, path: str, status: int, errors: list[str]) -> None:
        self.request_id, self.method, self.path, self.status, self.errors = (
            request_id,
            method,
            path,
            status,
            errors,
        )

    def summary(self) -> str:
        return f"{self.errors[0]}" + (f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "errors": self.errors,
        }


class ContractReport:
    """The violations seen since the last `take()` (bounded), shared by the check and whoever reports them."""

    def __init__(self, mode: str, limit: int = 1000) -> None:
        if mode not in MODES:
            raise ValueError(f"contract must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self._violations: deque[Violation] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, violation: Violation) -> None:
        with self._lock:
            self._violations.append(violation)

    def take(self) -> list[Violation]:
        with self._lock:
            taken = list(self._violations)
            self._violations.clear()
        return taken


def format_violations(violations: list[Violation]) -> str:
    lines = [f"the emulator accepted or sent {len(violations)} body(ies) that violate OpenAI's API contract:"]
    for v in violations:
        lines += [f"  {v.method} {v.path} -> {v.status} (request {v.request_id}):"]
        lines += [f"    {error}" for error in v.errors]
    return "\n".join(lines)


class ContractCheck:
    """Pure ASGI middleware around the /v1 edge: buffers JSON responses, validates, then sends or replaces."""

    def __init__(self, app: ASGIApp, report: ContractReport, contract: Contract | None = None) -> None:
        self.app = app
        self.report = report
        self.contract = contract if contract is not None or report.mode == "off" else load()
        # Responses seen to conform, by (method, path, status, body): a client polling a job is sent the
        # same bytes again and again, and the same bytes under the same schema always conform.
        self._conforming: dict[tuple[str, str, int, bytes], None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.contract is None or scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        contract = self.contract
        state: dict[str, Any] = scope.setdefault("state", {})
        request_body = bytearray()
        held: list[Message] = []

        async def capturing_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(request_body) <= MAX_BODY:
                request_body.extend(message.get("body", b""))
            return message

        async def holding_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                if is_json(message.get("headers", [])):
                    held.append(message)
                    return
            elif held and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body", False):
                    return
                await self._finish(scope, state, bytes(request_body), held, send, contract)
                return
            await send(message)

        await self.app(scope, capturing_receive, holding_send)

    async def _finish(
        self,
        scope: Scope,
        state: dict[str, Any],
        raw_request: bytes,
        held: list[Message],
        send: Send,
        contract: Contract,
    ) -> None:
        start, body = held[0], b"".join(m.get("body", b"") for m in held[1:])
        method, path, status = scope["method"], scope["path"], start["status"]
        errors = (
            [] if _exempt(state) else self._check(contract, method, path, status, raw_request, body, scope)
        )
        if not errors:
            for message in held:
                await send(message)
            return
        violation = Violation(str(state.get("request_id", "")), method, path, status, errors)
        self.report.add(violation)
        log.warning("contract violation (%s): %s", violation.request_id, "; ".join(errors))
        header = (HEADER.encode(), _header_value(violation.summary()))
        if self.report.mode != "strict":
            await send({**start, "headers": [*start.get("headers", []), header]})
            await send({"type": "http.response.body", "body": body})
            return
        replacement = json.dumps(
            {
                "error": {
                    "message": "The emulator refused to send a response that violates OpenAI's API contract "
                    f"(the emulator has a bug): {'; '.join(errors)}",
                    "type": "server_error",
                    "param": None,
                    "code": "emulator_contract_violation",
                }
            }
        ).encode()
        kept = [
            (k, v)
            for k, v in start.get("headers", [])
            if k.lower() not in (b"content-length", b"content-type")
        ]
        headers = [
            *kept,
            (b"content-type", b"application/json"),
            (b"content-length", str(len(replacement)).encode()),
            (b"x-should-retry", b"false"),
            header,
        ]
        await send({"type": "http.response.start", "status": 500, "headers": headers})
        await send({"type": "http.response.body", "body": replacement})


    def _check(
        self,
        contract: Contract,
        method: str,
        path: str,
        status: int,
        raw_request: bytes,
        body: bytes,
        scope: Scope,
    ) -> list[str]:
        seen = (method, path, status, body)
        checks_request = status < 400 and bool(raw_request)
        if not checks_request and seen in self._conforming:
            return []
        errors = _check(contract, method, path, status, raw_request, body, scope)
        if not errors and not checks_request and len(body) <= _REMEMBERED_BODY:
            if len(self._conforming) >= _REMEMBERED:
                self._conforming.clear()
            self._conforming[seen] = None
        return errors


def is_json(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether raw ASGI headers declare a JSON body."""
    for key, value in headers:
        if key.lower() == b"content-type":
            return bool(value.split(b";")[0].strip().lower() == b"application/json")
    return False


def _exempt(state: dict[str, Any]) -> bool:
    fault = (state.get("journal_extra") or {}).get("fault")
    return bool(state.get("scenario_respond")) or fault in _BROKEN_ON_PURPOSE


def _check(
    contract: Contract, method: str, path: str, status: int, raw_request: bytes, body: bytes, scope: Scope
) -> list[str]:
    if len(body) > MAX_BODY:
        return []
    try:
        parsed = json.loads(body)
    except ValueError:
        return [f"{method} {path} -> {status}: the body is not JSON although its content type says so"]
    errors = contract.check_response(method, path, status, parsed)
    if status < 400 and raw_request and is_json(scope["headers"]) and len(raw_request) <= MAX_BODY:
        try:
            errors += contract.check_request(method, path, json.loads(raw_request))
        except ValueError:
            pass  # the emulator accepted a body that is not JSON for a JSON route: the handler's business
    return errors


def _header_value(text: str) -> bytes:
    clean = " ".join(text.split())
    return (clean[:300] + ("..." if len(clean) > 300 else "")).encode("ascii", "replace")
