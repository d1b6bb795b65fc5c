"""A bounded pool for work that grows with a file's size (validation, token counting, screening), so such
work never runs on the event loop. One pool per emulator; it is shut down with the app."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["Workers"]

P = ParamSpec("P")
T = TypeVar("T")


class Workers:
    """At most `size` file-sized tasks run at once; the rest wait in order. Threads start on first use."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.size, thread_name_prefix="emulator-worker")
            return self._pool.submit(fn, *args, **kwargs)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
