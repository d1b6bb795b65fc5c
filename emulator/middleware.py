"""The edge every /v1 request passes: request id, auth and tenancy, OpenAI's headers, the journal."""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .api.common import analyses_ready
from .domain.journal import JournalEntry
from .domain.state import Emulator, Tenant
from .domain.tenancy import authenticate
from .errors import APIError
from .rendering import error_response

__all__ = ["OpenAIEdge"]

OPENAI_VERSION = "2020-10-01"
# Built once: the headers every answer gets whatever it is, and the encoded names of the variable ones.
_CONSTANT_HEADERS = (
    (b"openai-version", OPENAI_VERSION.encode()),
    (b"access-control-expose-headers", b"X-Request-ID"),
)
_NAMES = {
    f"x-ratelimit-{part}-{kind}": f"x-ratelimit-{part}-{kind}".encode()
    for part in ("limit", "remaining", "reset")
    for kind in ("requests", "tokens")
}
_EXTRA_NAMES = frozenset(
    {b"x-request-id", b"openai-processing-ms", b"openai-organization", b"openai-project", *_NAMES.values()}
    | {name for name, _ in _CONSTANT_HEADERS}
)
_KEPT_RESPONSE_BYTES = 16 * 1024  # JSON answers up to this size are kept in the journal for the dashboard


class OpenAIEdge:
    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator
        self._static: tuple[object, list[tuple[bytes, bytes]]] = (None, [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_api(scope["path"]):
            await self.app(scope, receive, send)
            return
        em = self.emulator
        started = em.now()
        state: dict[str, Any] = scope.setdefault("state", {})
        state["journal_started"] = time.perf_counter()
        status: list[int] = [500]
        tenant: Tenant | None = state.get("tenant")  # already resolved by another dialect's edge (Azure)
        authorization, chosen_project = _auth_headers(scope["headers"])
        if tenant is None:
            try:
                key = authenticate(authorization, em.settings.api_keys)
                tenant = em.tenant(key)
            except APIError as exc:
                state["request_id"] = em.ids.request_id()
                response = error_response(exc)
                await response(scope, receive, self._with_headers(send, state, None, started, status))
                self._record(scope, state, None, status[0])
                return
            state["tenant"] = tenant
            state["api_key"] = key
        state["project"] = chosen_project or tenant.organization.project_id
        state["request_id"] = tenant.ids.request_id()
        await analyses_ready(tenant, now=em.now())  # what this read may show is then decided
        try:
            await self.app(scope, receive, self._with_headers(send, state, tenant, started, status))
        finally:
            self._record(scope, state, tenant, status[0])

    def _with_headers(
        self, send: Send, state: dict[str, Any], tenant: Tenant | None, started: float, status: list[int]
    ) -> Send:
        em = self.emulator

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", []))
                elapsed_ms = max(0, round((em.now() - started) * 1000))
                extra = [
                    (b"x-request-id", state["request_id"].encode()),
                    (b"openai-processing-ms", str(elapsed_ms).encode()),
                    *_CONSTANT_HEADERS,
                ]
                if tenant is not None:  # (the Azure dialect outside swaps every openai-* header for its own)
                    extra += [
                        (b"openai-organization", tenant.organization.name.encode()),
                        (b"openai-project", state["project"].encode()),
                    ]
                    limits = state.get("rate_limit_headers")
                    extra += _encoded(limits) if limits else self._static_rate_limits()
                present = {name.lower() for name, _ in headers}
                if present.isdisjoint(_EXTRA_NAMES):  # the usual case: nothing of ours is set already
                    headers += extra
                else:
                    headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
                if (b"content-type", b"application/json") in headers:
                    state["journal_response"] = bytearray()
            elif message["type"] == "http.response.body" and "journal_response" in state:
                kept: bytearray = state["journal_response"]
                kept += message.get("body", b"")
                if len(kept) > _KEPT_RESPONSE_BYTES:
                    del state["journal_response"]
            await send(message)

        return send_with_headers

    def _static_rate_limits(self) -> list[tuple[bytes, bytes]]:
        """The x-ratelimit-* headers sent when no bucket answered (rate limits off), built once per
        settings."""
        settings = self.emulator.settings
        if self._static[0] is not settings:
            self._static = (settings, _encoded(_static_rate_limits(self.emulator)))
        return self._static[1]

    def _record(self, scope: Scope, state: dict[str, Any], tenant: Tenant | None, status: int) -> None:
        pairs = (p.partition(b"=") for p in scope["query_string"].split(b"&") if p)
        query = {k.decode(): v.decode() for k, _, v in pairs}
        self.emulator.journal.record(
            JournalEntry(
                method=scope["method"],
                path=str(state.get("journal_path") or scope["path"]),  # the path the client called
                query=query,
                body=state.get("journal_body"),
                status=state.get("journal_status", status),  # a scenario fault may have dropped the answer
                request_id=state["request_id"],
                timestamp=self.emulator.now(),
                organization=tenant.organization.id if tenant else None,
                rule=state.get("journal_rule"),
                extra=state.get("journal_extra") or {},
                latency_ms=round((time.perf_counter() - state["journal_started"]) * 1000, 1),
                raw_response=bytes(kept) if (kept := state.get("journal_response")) else None,
            )
        )


def _is_api(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


def _auth_headers(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """The request's Authorization and OpenAI-Project headers (the first of each), in one pass."""
    authorization = project = None
    for key, value in headers:
        name = key.lower()
        if name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif name == b"openai-project" and project is None:
            project = value.decode("latin-1")
    return authorization, project


def _static_rate_limits(em: Emulator) -> dict[str, str]:
    s = em.settings
    return {
        "x-ratelimit-limit-requests": str(s.rate_limit_requests),
        "x-ratelimit-limit-tokens": str(s.rate_limit_tokens),
        "x-ratelimit-remaining-requests": str(s.rate_limit_requests - 1),
        "x-ratelimit-remaining-tokens": str(s.rate_limit_tokens),
        "x-ratelimit-reset-requests": "6ms",
        "x-ratelimit-reset-tokens": "0s",
    }


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(_NAMES.get(name) or name.encode(), value.encode()) for name, value in headers.items()]
