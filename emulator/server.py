"""EmulatorServer: the app behind a real socket, in a background thread (for tests, the plugin, scripts)."""

from __future__ import annotations

import threading
from types import TracebackType

import uvicorn
from starlette.applications import Starlette

from .app import create_app
from .settings import Settings

__all__ = ["EmulatorServer"]


class EmulatorServer:
    """Starts uvicorn on `host:port` (port 0 picks a free one) and waits until it accepts connections."""

    def __init__(self, settings: Settings | None = None, *, app: Starlette | None = None) -> None:
        self.settings = settings or Settings(port=0)
        self.app = app or create_app(self.settings)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the server is not running")
        return f"http://{self.settings.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to give the SDK as `base_url`."""
        return self.url + "/v1"

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        config = uvicorn.Config(
            self.app,
            host=self.settings.host,
            port=self.settings.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="openai-emulator", daemon=True)
        self._thread.start()
        ready = threading.Event()
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"the emulator failed to start: {self._error!r}")
            ready.wait(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def _run(self) -> None:
        assert self._server is not None
        try:
            self._server.run()
        except BaseException as exc:  # surfaced by start() instead of dying silently in the thread
            self._error = exc

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._server = None
        self._thread = None
        self.port = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
