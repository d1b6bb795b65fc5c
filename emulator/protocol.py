"""The HTTP/1.1 protocol the server speaks: uvicorn's, except that the 400 it sends on its own (a malformed
request line, or headers larger than `Settings.max_header_bytes`) is OpenAI's JSON envelope.

Two stacks: httptools (llhttp, in C) on uvloop, what production Starlette apps normally run on and what
`emulator serve` uses when both are installed (`pip install 'uvicorn[standard]'`); and the pure-Python h11
on asyncio, always available, which the in-test server keeps.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["OpenAIH11Protocol", "fast_stack_available", "refusal", "uvicorn_options"]


LINGER_SECONDS = 1.0  # how long the rest of a refused request is read and dropped before closing
_REFUSAL_BODY = json.dumps(
    {
        "error": {
            "message": "Invalid HTTP request: the request line or headers could not be read (headers "
            "may be too large).",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
).encode()


def refusal(msg: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The headers and body of the 400 for a request that could not be read (`msg`: uvicorn's reason)."""
    request_id = "req_" + hashlib.md5(msg.encode()).hexdigest()  # no tenant is known: derived, not random
    headers = [
        (b"content-type", b"application/json"),
        (b"connection", b"close"),
        (b"x-request-id", request_id.encode()),
    ]
    return headers, _REFUSAL_BODY


class OpenAIH11Protocol(H11Protocol):
    _refused = False

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        # uvicorn has already logged `msg` in one line
        headers, body = refusal(msg)
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        # Closing with the request's tail unread would reset the connection and could lose the answer:
        # read and drop the tail for a moment (the client closes first once it has read the 400).
        self._refused = True
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


def fast_stack_available() -> bool:
    """Whether httptools and uvloop are installed (uvicorn[standard])."""
    return bool(importlib.util.find_spec("httptools") and importlib.util.find_spec("uvloop"))


def uvicorn_options(max_header_bytes: int, *, fast: bool = False) -> dict[str, Any]:
    """The `uvicorn.Config` arguments of an emulator server: the httptools protocol on uvloop when `fast`
    and both are installed, else the h11 protocol on asyncio."""
    if fast and fast_stack_available():
        from .protocol_httptools import OpenAIHttpToolsProtocol

        protocol = type(
            "OpenAIHttpToolsProtocol", (OpenAIHttpToolsProtocol,), {"max_header_bytes": max_header_bytes}
        )
        return {"http": protocol, "loop": "uvloop"}
    return {"http": OpenAIH11Protocol, "h11_max_incomplete_event_size": max_header_bytes}
