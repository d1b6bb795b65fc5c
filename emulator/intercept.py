"""Serve requests for api.openai.com from an emulator, at the HTTP transport level (as respx and moto do).

The official SDK builds its HTTP client when `OpenAI()` is called: a client built at import time (a
module-level `client = OpenAI()` in the code under test) already points at https://api.openai.com before any
fixture runs, so environment variables can't reach it. These patches wrap the default transports of
`httpx2` (the SDK's HTTP library) and, when installed, `httpx`, so a request for an OpenAI host goes to the
emulator instead, with the emulator's API key; every other request is untouched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx2

__all__ = ["OPENAI_HOSTS", "Target", "transport_patches"]

OPENAI_HOSTS = frozenset({"api.openai.com"})


class Target(Protocol):
    """Where intercepted requests go: an origin (`http://127.0.0.1:8000`), the key to send, and, for an
    emulator without a socket, the transport that reaches it."""

    @property
    def url(self) -> str: ...

    @property
    def api_key(self) -> str: ...

    def inprocess_transport(self) -> httpx2.BaseTransport | None: ...

    def inprocess_async_transport(self) -> httpx2.AsyncBaseTransport | None: ...


def _retarget(request: Any, origin: Any, api_key: str) -> None:
    """Point `request` (an httpx2 or httpx Request) at `origin`, keeping the path and query."""
    request.url = request.url.copy_with(scheme=origin.scheme, host=origin.host, port=origin.port)
    request.headers["Host"] = origin.netloc.decode("ascii")
    request.headers["Authorization"] = f"Bearer {api_key}"


def _sync(library: Any, target: Target, original: Callable[..., Any], inprocess: bool) -> Callable[..., Any]:
    def handle_request(self: Any, request: Any) -> Any:
        if request.url.host not in OPENAI_HOSTS:
            return original(self, request)
        _retarget(request, library.URL(target.url), target.api_key)
        transport = target.inprocess_transport() if inprocess else None
        return original(self, request) if transport is None else transport.handle_request(request)

    return handle_request


def _async(
    library: Any, target: Target, original: Callable[..., Awaitable[Any]], inprocess: bool
) -> Callable[..., Awaitable[Any]]:
    async def handle_async_request(self: Any, request: Any) -> Any:
        if request.url.host not in OPENAI_HOSTS:
            return await original(self, request)
        _retarget(request, library.URL(target.url), target.api_key)
        transport = target.inprocess_async_transport() if inprocess else None
        if transport is None:
            return await original(self, request)
        return await transport.handle_async_request(request)

    return handle_async_request


def transport_patches(target: Target, *, inprocess: bool) -> list[tuple[object, str, object]]:
    """(class, method name, replacement) triples to apply with `monkeypatch.setattr` for one test.

    In-process emulators are reached through their transport, which speaks `httpx2` only; a legacy
    `httpx` client is intercepted when the emulator has a socket.
    """
    libraries: list[Any] = [httpx2]
    if not inprocess:
        try:
            import httpx
        except ImportError:  # pragma: no cover - httpx is optional
            pass
        else:
            libraries.append(httpx)
    patches: list[tuple[object, str, object]] = []
    for library in libraries:
        sync_cls, async_cls = library.HTTPTransport, library.AsyncHTTPTransport
        patches.append(
            (sync_cls, "handle_request", _sync(library, target, sync_cls.handle_request, inprocess))
        )
        patches.append(
            (
                async_cls,
                "handle_async_request",
                _async(library, target, async_cls.handle_async_request, inprocess),
            )
        )
    return patches
