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
from ..headers import picked

__all__ = ["Observation", "ObservationLog", "Observer"]

_JOB_PREFIX = "/v1/fine_tuning/jobs"
_Read = tuple[str | None, str | None, tuple[tuple[str, str], ...]]  # (error type, error code, jobs shown)
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


class Sighting:
    """What one request left behind, as it was: the Observation is worked out only when the log is read
    (most requests of a run are never looked at, and a client polling a job makes thousands)."""

    __slots__ = ("request", "state", "start", "read", "arrived", "answered")

    def __init__(
        self, scope: Scope, state: dict[str, Any], start: Message | None, read: _Read | None, arrived: float
    ) -> None:
        self.request = (scope["method"], scope["path"], scope["query_string"], scope["headers"])
        tenant = state.get("tenant")
        self.state = (  # only what an observation reads: the state also holds response bodies
            str(state.get("request_id", "")),
            tenant.organization.id if tenant is not None else None,
            state.get("journal_body"),
            state.get("journal_status"),
            state.get("journal_extra") or {},
            state.get("journal_rule"),
        )
        self.start, self.read, self.arrived, self.answered = start, read, arrived, time.monotonic()

    def observation(self) -> Observation:
        method, path, raw_query, raw_headers = self.request
        request_id, organization, sent, journal_status, extra, rule = self.state
        start = self.start
        request_headers = picked(raw_headers, _REQUEST_HEADERS)
        response_headers = picked(start.get("headers", []), _RESPONSE_HEADERS) if start else {}
        dropped = journal_status == 0 or start is None
        query = raw_query.decode("latin-1")
        digest = _NO_BODY_DIGEST if sent is None else _digest(sent)
        observation = Observation(
            request_id=request_id,
            method=method,
            path=path,
            query=query,
            fingerprint=f"{method} {path}?{query} {digest}",
            organization=organization,
            arrived=self.arrived,
            answered=self.answered,
            status=0 if dropped or start is None else int(start["status"]),
            retry_count=_int(request_headers.get("x-stainless-retry-count")),
            retry_after=_retry_after(response_headers),
            should_retry=response_headers.get("x-should-retry"),
            fault=extra.get("fault") or rule,
            handler_status=extra.get("handler_status"),
        )
        if not dropped and self.read is not None:
            observation.error_type, observation.error_code, shown = self.read
            observation.jobs.update(shown)
        return observation


class ObservationLog:
    """Bounded, thread-safe; `take()` hands everything over and forgets it."""

    def __init__(self, limit: int = 10_000) -> None:
        self._items: deque[Sighting] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, item: Sighting) -> None:
        self._items.append(item)  # (a deque's append is atomic)

    def snapshot(self) -> list[Observation]:
        with self._lock:
            items = list(self._items)
        return [item.observation() for item in items]

    def take(self) -> list[Observation]:
        with self._lock:
            items = list(self._items)
            self._items.clear()
        return [item.observation() for item in items]


class Observer:
    """Pure ASGI middleware around the /v1 edge that leaves one Sighting per request."""

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
        tapped = False

        async def observing_send(message: Message) -> None:
            nonlocal tapped
            if message["type"] == "http.response.start":
                start.append(message)
                tapped = is_json(message.get("headers", []))
            elif tapped and message["type"] == "http.response.body" and len(body) < _MAX_TAPPED:
                body.extend(message.get("body", b""))  # for error types and job statuses
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            read = _read_body(scope["path"], bytes(body)) if tapped else None
            self.log.add(Sighting(scope, state, start[0] if start else None, read, arrived))


def _digest(sent: Any) -> str:
    return hashlib.sha256(json.dumps(sent, sort_keys=True, default=str).encode()).hexdigest()[:16]


_NO_BODY_DIGEST = _digest(None)
_REQUEST_HEADERS = frozenset({b"x-stainless-retry-count"})
_RESPONSE_HEADERS = frozenset({b"retry-after-ms", b"retry-after", b"x-should-retry"})


def _read_body(path: str, body: bytes) -> _Read | None:
    jobs = path.startswith(_JOB_PREFIX)
    if not jobs and b'"error"' not in body:
        return None  # nothing to read: JSON written by json.dumps spells every "error" key out like this
    read = _READ.get((jobs, body))
    if read is None:
        read = _read(body, jobs)
        if len(body) <= _REMEMBERED_BODY:
            if len(_READ) >= _REMEMBERED:
                _READ.clear()
            _READ[(jobs, body)] = read
    return read


# What bodies said, by their bytes: a client polling a job is sent the same bytes again and again.
_READ: dict[tuple[bool, bytes], _Read] = {}
_REMEMBERED = 256
_REMEMBERED_BODY = 16 * 1024


def _read(body: bytes, jobs: bool) -> _Read:
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
