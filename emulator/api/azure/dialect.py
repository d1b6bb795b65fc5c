"""The Azure OpenAI dialect at the HTTP edge: `/openai/...` calls served by the same core as `/v1/...`.

Selected by path, always on. A call is checked the way Azure's front door checks it (api-version, key),
mapped to its Azure resource's tenant (`Emulator.tenant(key, "azure")`), rewritten onto the `/v1` route
that serves it, and its answer is turned into Azure's (error envelope, headers, dated-API quirks). The
OpenAI edge inside sees the resolved tenant and does the rest (request id, journal, rate limits), so
scenarios, the journal, the clock and durable state work alike for both dialects. The durable store's
recorder sits outside: it journals the raw `/openai/...` request, and replay runs it through here again.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...domain.state import Emulator
from .auth import azure_key
from .envelope import REGION, add_content_filters, front_door_body, guid, translate_error, translate_jobs
from .versions import AzureCall, VersionRefused, classify

__all__ = ["AzureDialect", "is_azure_path"]

_JOBS = "/v1/fine_tuning/jobs"
_CHAT = "/v1/chat/completions"
_DROPPED = (b"x-request-id", b"access-control-expose-headers")  # OpenAI's; Azure's request id is a GUID


def is_azure_path(path: str) -> bool:
    return path == "/openai" or path.startswith("/openai/")


class AzureDialect:
    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_azure_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        em = self.emulator
        headers = _headers(scope)
        try:
            call = classify(scope["path"], scope.get("query_string", b""))
            key = azure_key(headers.get("api-key"), headers.get("authorization"), em.settings.api_keys)
        except VersionRefused as refused:
            await _refuse(send, refused, em.ids.request_id(), headers)
            return
        tenant = em.tenant(key, "azure")
        state: dict[str, Any] = scope.setdefault("state", {})
        state.update(tenant=tenant, api_key=key, azure=call, journal_path=scope["path"])
        inner = {**scope, "path": call.path, "raw_path": call.path.encode(), "query_string": call.query}
        await self.app(inner, receive, _Answer(send, scope, state, call, headers))


class _Answer:
    """Rewrites the core's answer into Azure's as it is sent: headers always, the body when it must change
    (errors, dated-API jobs), buffering only those."""

    def __init__(
        self, send: Send, scope: Scope, state: dict[str, Any], call: AzureCall, headers: dict[str, str]
    ) -> None:
        self.send, self.scope, self.state, self.call, self.request_headers = send, scope, state, call, headers
        self.start: Message | None = None
        self.buffer: bytearray | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = _azure_headers(message.get("headers", []), self.state, self.call, self.request_headers)
            message = {**message, "headers": headers}
            if _is_json(headers) and self._rewrites(message["status"]):
                self.start, self.buffer = message, bytearray()
                return
            await self.send(message)
            return
        if message["type"] == "http.response.body" and self.buffer is not None:
            self.buffer += message.get("body", b"")
            if message.get("more_body", False):
                return
            await self._flush()
            return
        await self.send(message)

    def _rewrites(self, status: int) -> bool:
        return status >= 400 or (self.call.dated and self.call.path.startswith(_JOBS)) or self._chat

    @property
    def _chat(self) -> bool:
        return self.scope["method"] == "POST" and self.call.path == _CHAT

    async def _flush(self) -> None:
        assert self.start is not None and self.buffer is not None
        status: int = self.start["status"]
        headers = [(k, v) for k, v in self.start["headers"] if k.lower() != b"content-length"]
        body = bytes(self.buffer)
        if status >= 400:
            body = translate_error(status, body)
        elif self._chat:
            body = add_content_filters(body)
        else:
            body, job_id = translate_jobs(body)
            if self.scope["method"] == "POST" and self.call.path == _JOBS and job_id and status == 200:
                status = 201
                headers.append((b"location", self._location(job_id).encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        await self.send({**self.start, "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body, "more_body": False})

    def _location(self, job_id: str) -> str:
        host = self.request_headers.get("host", "localhost")
        scheme = self.scope.get("scheme", "http")
        return f"{scheme}://{host}{self.call.base}/fine_tuning/jobs/{job_id}?api-version={self.call.api_version}"


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(b"application/json") for k, v in headers)


def _azure_headers(
    headers: list[tuple[bytes, bytes]], state: dict[str, Any], call: AzureCall, request: dict[str, str]
) -> list[tuple[bytes, bytes]]:
    """OpenAI's own headers out, Azure's in."""
    request_guid = guid(str(state.get("request_id", "")))
    kept = [(k, v) for k, v in headers if not k.lower().startswith(b"openai-") and k.lower() not in _DROPPED]
    kept += _standard_headers(request_guid, request)
    if call.deployment:
        kept.append((b"x-ms-deployment-name", call.deployment.encode()))
    return kept


def _standard_headers(request_guid: str, request: dict[str, str]) -> list[tuple[bytes, bytes]]:
    out = [
        (b"apim-request-id", request_guid.encode()),
        (b"x-request-id", request_guid.encode()),
        (b"x-ms-region", REGION.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"strict-transport-security", b"max-age=31536000; includeSubDomains; preload"),
    ]
    if "x-ms-client-request-id" in request:
        out.append((b"x-ms-client-request-id", request["x-ms-client-request-id"].encode("latin-1")))
    return out


async def _refuse(send: Send, refused: VersionRefused, request_id: str, request: dict[str, str]) -> None:
    body = front_door_body(refused.code, refused.message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": refused.status,
                "headers": headers + _standard_headers(guid(request_id), request)})
    await send({"type": "http.response.body", "body": body, "more_body": False})
