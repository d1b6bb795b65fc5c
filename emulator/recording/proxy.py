"""The recording proxy: forwards every request to an upstream OpenAI-compatible API and writes a cassette.

A client points `base_url` at the proxy's /v1. An unreachable upstream becomes a 502 and a timeout a
504, both in OpenAI's error envelope (and recorded). Streams are relayed chunk by chunk as they come.
"""

from __future__ import annotations

import json
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx2
from starlette.types import Message, Receive, Scope, Send

from .cassette import SMALL_TEXT, parse_events, redact, redact_headers, summarise_bytes, write_cassette

__all__ = ["RecordingProxy"]

# Hop-by-hop and length headers: recomputed on each side, never forwarded.
_HOP = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "accept-encoding", "upgrade"}
)
_HOP_RESPONSE = _HOP | {"content-encoding"}
MAX_RECORDED_BODY = 8 * 1024 * 1024


class RecordingProxy:
    """Pure ASGI app. `upstream` is the origin of the API (a trailing /v1 is ignored)."""

    def __init__(
        self, upstream: str, out: Path, *, keep_uploads: bool = False, redact_secrets: bool = True,
        timeout: float = 600.0,
    ) -> None:  # fmt: skip
        self.upstream = upstream.rstrip("/").removesuffix("/v1")
        self.out = out
        self.keep_uploads = keep_uploads
        self.redact_secrets = redact_secrets
        self.timeout = timeout
        self.started = time.monotonic()
        self._seq = len(list(out.glob("[0-9]*.json")))
        self._lock = threading.Lock()
        self._client: httpx2.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] == "/healthz":
            await _send_json(send, 200, {"status": "ok", "upstream": self.upstream}, [])
            return
        body = await _read_body(receive)
        await self._forward(scope, body, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.out.mkdir(parents=True, exist_ok=True)
                self._client = httpx2.AsyncClient(timeout=self.timeout, follow_redirects=False)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _forward(self, scope: Scope, body: bytes, send: Send) -> None:
        assert self._client is not None, "the proxy runs under a server with lifespan on"
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope["query_string"].decode("latin-1")
        url = self.upstream + scope["path"] + (f"?{query}" if query else "")
        elapsed = round(time.monotonic() - self.started, 3)
        record: dict[str, Any] = {"elapsed": elapsed, "request": self._request(scope, headers, body)}
        forwarded = {k: v for k, v in headers.items() if k not in _HOP}
        request = self._client.build_request(scope["method"], url, headers=forwarded, content=body)
        try:
            upstream = await self._client.send(request, stream=True)
        except httpx2.TimeoutException as exc:
            await self._fail(send, record, 504, "upstream_timeout", f"timed out ({type(exc).__name__})")
            return
        except httpx2.TransportError as exc:
            await self._fail(send, record, 502, "upstream_unreachable", f"could not connect ({exc})")
            return
        chunks: list[bytes] = []
        size = 0
        out_headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in upstream.headers.multi_items()
            if k.lower() not in _HOP_RESPONSE
        ]
        await send({"type": "http.response.start", "status": upstream.status_code, "headers": out_headers})
        try:
            async for chunk in upstream.aiter_raw():
                size += len(chunk)
                if size <= MAX_RECORDED_BODY:
                    chunks.append(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except httpx2.TransportError as exc:
            record["upstream_error"] = f"the upstream dropped the response: {exc}"
        finally:
            await upstream.aclose()
        await send({"type": "http.response.body", "body": b""})
        response_headers = {
            k.lower(): v for k, v in upstream.headers.items() if k.lower() not in _HOP_RESPONSE
        }
        record["response"] = {
            "status": upstream.status_code,
            "headers": self._headers(response_headers),
            **self._response_body(response_headers.get("content-type", ""), b"".join(chunks), size),
        }
        self._write(record)

    async def _fail(self, send: Send, record: dict[str, Any], status: int, code: str, detail: str) -> None:
        message = f"The recording proxy got no answer from the upstream {self.upstream}: {detail}."
        error = {"error": {"message": message, "type": "server_error", "param": None, "code": code}}
        headers = [("x-should-retry", "true")]
        await _send_json(send, status, error, headers)
        record["upstream_error"] = detail
        record["response"] = {"status": status, "headers": dict(headers), "body": error}
        self._write(record)

    def _write(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            write_cassette(self.out, self._seq, record)

    def _headers(self, headers: dict[str, str]) -> dict[str, str]:
        return redact_headers(headers) if self.redact_secrets else headers

    def _request(self, scope: Scope, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        kept = {k: v for k, v in headers.items() if k not in _HOP}
        out: dict[str, Any] = {
            "method": scope["method"],
            "path": scope["path"],
            "query": query,
            "headers": self._headers(kept),
        }
        content_type = headers.get("content-type", "")
        if not body:
            out["body"] = None
        elif content_type.startswith("multipart/form-data"):
            out["form"] = _form(content_type, body, self.keep_uploads)
        elif content_type.startswith("application/json"):
            try:
                out["body"] = json.loads(body)
            except ValueError:
                out["text"] = body.decode("utf-8", "replace")[:SMALL_TEXT]
        else:
            out["data"] = summarise_bytes(body, keep=self.keep_uploads)
        return redact(out) if self.redact_secrets else out

    def _response_body(self, content_type: str, body: bytes, size: int) -> dict[str, Any]:
        out: dict[str, Any]
        if content_type.startswith("text/event-stream"):
            out = {"events": parse_events(body.decode("utf-8", "replace"))}
        elif content_type.startswith("application/json") and size <= MAX_RECORDED_BODY:
            try:
                out = {"body": json.loads(body)}
            except ValueError:
                out = {"text": body.decode("utf-8", "replace")[:SMALL_TEXT]}
        else:
            out = {"data": summarise_bytes(body, keep=size <= SMALL_TEXT and _textual(content_type))}
            out["data"]["bytes"] = size
        return redact(out) if self.redact_secrets else out


def _textual(content_type: str) -> bool:
    return content_type.startswith(("text/", "application/json", "application/jsonl"))


def _form(content_type: str, body: bytes, keep: bool) -> dict[str, Any]:
    """A multipart body as fields plus summarised files (name, filename, type, size, hash)."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"content-type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    files: list[dict[str, Any]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition") or ""
        filename = part.get_filename()
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        if filename is None:
            fields[str(name)] = payload.decode("utf-8", "replace")
        else:
            files.append(
                {
                    "name": str(name),
                    "filename": filename,
                    "content_type": part.get_content_type(),
                    **summarise_bytes(payload, keep=keep),
                }
            )
    return {"fields": fields, "files": files}


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_json(send: Send, status: int, body: Any, headers: list[tuple[str, str]]) -> None:
    data = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})
