"""EmulatorServer: the app behind a real socket, in a background thread (for tests, the plugin, scripts)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import traceback
from types import TracebackType

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .app import create_app
from .protocol import uvicorn_options
from .scenarios.middleware import ConnectionDropped
from .settings import Settings

__all__ = ["EmulatorServer", "ErrorTrap", "EmulatorServerError"]


class EmulatorServerError(AssertionError):
    """The emulator itself raised while handling a request (a bug in the emulator, not a simulated fault)."""


class ErrorTrap:
    """Pure ASGI wrapper that records every exception escaping the app, so a test can re-raise it.

    Starlette renders an unexpected exception as a 500 and then re-raises it; the trap holds back such a
    500 until the app finishes, and when the app did raise it marks the response `x-should-retry: false`
    so the SDK fails at once instead of retrying an emulator bug. Simulated 5xx are untouched, and a
    scenario's `ConnectionDropped` (a dropped connection simulated without a socket) passes through.

    It also holds every response's last body message until the app returns, so the request is in the
    journal (written on the way out) before the client has its answer: a test that asserts on the
    journal right after a call never races the server thread.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.errors: list[tuple[str, BaseException, str]] = []  # (request line, exception, traceback)
        self._lock = threading.Lock()
        self._inflight: set[anyio.CancelScope] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._loop = asyncio.get_running_loop()
        with anyio.CancelScope() as cancel:
            self._inflight.add(cancel)
            try:
                await self._handle(scope, receive, send)
            finally:
                self._inflight.discard(cancel)

    def abort_requests(self, timeout: float = 5.0) -> None:
        """Cancel the requests still running in the app (call from outside its event loop), e.g. one held
        by a stall or slow-success fault after its client gave up, so it ends (and is journaled) now."""
        loop = self._loop
        if not self._inflight or loop is None or loop.is_closed():
            return

        async def cancel_all() -> None:
            for cancel in list(self._inflight):
                cancel.cancel()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(cancel_all(), loop).result(timeout)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: list[Message] = []

        async def holding_send(message: Message) -> None:
            final = message["type"] == "http.response.body" and not message.get("more_body", False)
            if held or final or (message["type"] == "http.response.start" and message["status"] == 500):
                held.append(message)
            else:
                await send(message)

        try:
            await self.app(scope, receive, holding_send)
        except ConnectionDropped:
            raise  # a simulated fault without a socket: the in-process transport turns it into a drop
        except Exception as exc:
            self.record(f"{scope.get('method')} {scope.get('path')}", exc)
            if held:
                start = held[0]
                held[0] = {**start, "headers": [*start.get("headers", []), (b"x-should-retry", b"false")]}
                for message in held:
                    await send(message)
                return
            raise
        for message in held:
            await send(message)

    def record(self, where: str, exc: BaseException) -> None:
        text = "".join(traceback.format_exception(exc))
        with self._lock:
            self.errors.append((where, exc, text))

    def take(self) -> list[tuple[str, BaseException, str]]:
        """Return the recorded errors and forget them."""
        with self._lock:
            taken, self.errors = self.errors, []
        return taken

    def check(self) -> None:
        """Raise `EmulatorServerError`, with the tracebacks, if the app raised since the last check."""
        taken = self.take()
        if taken:
            raise EmulatorServerError(format_errors(taken)) from taken[0][1]


def format_errors(errors: list[tuple[str, BaseException, str]]) -> str:
    lines = [f"the emulator raised {len(errors)} unexpected exception(s) while serving requests:"]
    for where, _, text in errors:
        lines += ["", f"--- during {where} ---", text.rstrip()]
    return "\n".join(lines)


class EmulatorServer:
    """Starts uvicorn on `host:port` (port 0 picks a free one) and waits until it accepts connections.

    Exceptions raised by the app while serving are recorded in `trap` (see `check()`); a server thread
    that dies is reported by `check()` and by `start()` instead of leaving callers hanging.
    """

    def __init__(
        self, settings: Settings | None = None, *, app: Starlette | None = None, fast: bool = False
    ) -> None:
        self.settings = settings or Settings(port=0)
        self.fast = fast  # httptools + uvloop (when installed), as `emulator serve` runs; else h11 + asyncio
        self.app = app or create_app(self.settings)
        self.trap = ErrorTrap(self.app)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the server is not running")
        host = f"[{self.settings.host}]" if ":" in self.settings.host else self.settings.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to give the SDK as `base_url`."""
        return self.url + "/v1"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._error is None

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        config = uvicorn.Config(
            self.trap,
            host=self.settings.host,
            port=self.settings.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=1,  # a request held by a stall fault must not hold up stop()
            **uvicorn_options(self.settings.max_header_bytes, fast=self.fast),
        )
        self._error = None
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="openai-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                error, self._error = self._error, None
                self._reap()
                raise RuntimeError(
                    f"the emulator failed to start on {self.settings.host}:{self.settings.port}: {error!r}"
                ) from error
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator did not start within {timeout} s")
            self._thread.join(0.005)  # wait for startup, waking early if the thread dies
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def _run(self) -> None:
        assert self._server is not None
        try:
            self._server.run()
        except BaseException as exc:  # surfaced by start()/check() instead of dying silently in the thread
            self._error = exc

    def check(self) -> None:
        """Raise if the app raised while serving since the last check, or if the server thread died."""
        self.trap.check()
        if self._thread is not None and (self._error is not None or not self._thread.is_alive()):
            raise EmulatorServerError(
                f"the emulator's server thread stopped: {self._error!r}"
            ) from self._error

    def _reap(self) -> None:
        self._server = None
        self._thread = None
        self.port = None

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout)
            if self._thread.is_alive():  # a request that never ends: stop waiting for it
                self._server.force_exit = True
                self._thread.join(timeout)
        self._reap()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
