"""What the client did, request by request, as the coverage report and the client-behaviour verdict need it.

The journal says what was asked and answered on the emulator's clock; an observation adds what a verdict
on the client needs: wall-clock arrival and answer times (backoff is real time even on a frozen virtual
clock), the retry headers sent and received, the error type, and the job statuses the client was shown.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..contract.check import is_json

__all__ = ["Observation", "ObservationLog", "Observer"]

_JOB_PREFIX = "/v1/fine_tuning/jobs"
_MAX_TAPPED = 1024 * 1024


@dataclass
class Observation:
    request_id: str
    method: str
    path: str
    query: str
    fingerprint: str  # method, path, query and body: equal for a retry of the same request
    organization: str | None
    arrived: float  # wall clock (monotonic seconds)
    answered: float
    status: int  # 0: the connection was dropped (a simulated fault)
    retry_count: int | None  # the SDK's x-stainless-retry-count
    retry_after: float | None  # seconds the response asked the client to wait (retry-after-ms / retry-after)
    should_retry: str | None  # the response's x-should-retry
    error_type: str | None = None
    error_code: str | None = None
    fault: str | None = None  # a scenario fault or rule that shaped the answer
    handler_status: int | None = None  # what the handler answered before a drop
    jobs: dict[str, str] = field(default_factory=dict)  # job id -> status shown to the client

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ObservationLog:
    """Bounded, thread-safe; `take()` hands everything over and forgets it."""

    def __init__(self, limit: int = 10_000) -> None:
        self._items: deque[Observation] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, item: Observation) -> None:
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> list[Observation]:
        with self._lock:
            return list(self._items)

    def take(self) -> list[Observation]:
        with self._lock:
            items = list(self._items)
            self._items.clear()
        return items


class Observer:
    """Pure ASGI middleware around the /v1 edge that writes one Observation per request."""

    def __init__(self, app: ASGIApp, log: ObservationLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        arrived = time.monotonic()
        state: dict[str, Any] = scope.setdefault("state", {})
        start: list[Message] = []
        body = bytearray()

        async def observing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.append(message)
            elif (
                message["type"] == "http.response.body"
                and len(body) < _MAX_TAPPED
                and is_json(start[0]["headers"])
            ):
                body.extend(message.get("body", b""))  # for error types and job statuses
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            self.log.add(_observe(scope, state, start[0] if start else None, bytes(body), arrived))


def _observe(
    scope: Scope, state: dict[str, Any], start: Message | None, body: bytes, arrived: float
) -> Observation:
    request_headers = _picked(scope["headers"], _REQUEST_HEADERS)
    response_headers = _picked(start.get("headers", []), _RESPONSE_HEADERS) if start else {}
    extra = state.get("journal_extra") or {}
    dropped = state.get("journal_status") == 0 or start is None
    query = scope["query_string"].decode("latin-1")
    sent = state.get("journal_body")
    digest = _NO_BODY_DIGEST if sent is None else _digest(sent)
    tenant = state.get("tenant")
    observation = Observation(
        request_id=str(state.get("request_id", "")),
        method=scope["method"],
        path=scope["path"],
        query=query,
        fingerprint=f"{scope['method']} {scope['path']}?{query} {digest}",
        organization=tenant.organization.id if tenant is not None else None,
        arrived=arrived,
        answered=time.monotonic(),
        status=0 if dropped else int(start["status"]) if start else 0,
        retry_count=_int(request_headers.get("x-stainless-retry-count")),
        retry_after=_retry_after(response_headers),
        should_retry=response_headers.get("x-should-retry"),
        fault=extra.get("fault") or state.get("journal_rule"),
        handler_status=extra.get("handler_status"),
    )
    if not dropped and start is not None and is_json(start.get("headers", [])):
        _read_body(observation, body)
    return observation


def _digest(sent: Any) -> str:
    return hashlib.sha256(json.dumps(sent, sort_keys=True, default=str).encode()).hexdigest()[:16]


_NO_BODY_DIGEST = _digest(None)
_REQUEST_HEADERS = frozenset({b"x-stainless-retry-count"})
_RESPONSE_HEADERS = frozenset({b"retry-after-ms", b"retry-after", b"x-should-retry"})


def _picked(headers: Any, names: frozenset[bytes]) -> dict[str, str]:
    """The headers named (lower case), as a dict of the last value of each: all an observation reads."""
    return {
        key.decode("latin-1"): v.decode("latin-1")
        for k, v in headers
        if (key := k.lower()) in names
    }


def _read_body(observation: Observation, body: bytes) -> None:
    jobs = observation.path.startswith(_JOB_PREFIX)
    if not jobs and b'"error"' not in body:
        return  # nothing to read: JSON written by json.dumps spells every "error" key out like this
    read = _READ.get((jobs, body))
    if read is None:
        read = _read(body, jobs)
        if len(body) <= _REMEMBERED_BODY:
            if len(_READ) >= _REMEMBERED:
                _READ.clear()
            _READ[(jobs, body)] = read
    observation.error_type, observation.error_code, shown = read
    observation.jobs.update(shown)


# What bodies said, by their bytes: a client polling a job is sent the same bytes again and again.
_READ: dict[tuple[bool, bytes], tuple[str | None, str | None, tuple[tuple[str, str], ...]]] = {}
_REMEMBERED = 256
_REMEMBERED_BODY = 16 * 1024


def _read(body: bytes, jobs: bool) -> tuple[str | None, str | None, tuple[tuple[str, str], ...]]:
    """(error type, error code, (job id, status) shown) of a JSON body."""
    try:
        data = json.loads(body)
    except ValueError:
        return None, None, ()
    if not isinstance(data, dict):
        return None, None, ()
    error_type = error_code = None
    error = data.get("error")
    if isinstance(error, dict):
        error_type = error.get("type") if isinstance(error.get("type"), str) else None
        error_code = error.get("code") if isinstance(error.get("code"), str) else None
    shown: dict[str, str] = {}
    if jobs:
        items = data.get("data") if data.get("object") == "list" else [data]
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("object") == "fine_tuning.job":
                shown[str(item.get("id"))] = str(item.get("status"))
    return error_type, error_code, tuple(shown.items())


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _retry_after(headers: dict[str, str]) -> float | None:
    """As the SDK reads it: retry-after-ms first, then retry-after in seconds."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return float(headers[name]) * scale
        except (KeyError, ValueError):
            continue
    return None
