"""The file analyses a store's pending jobs wait for: one per distinct (files, options) while it runs, joined
by every job created on the same files meanwhile, so a burst of jobs on one file keeps one future and one
callback, not one per job. An analysis is a pure function of its key, so sharing it changes no result."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any

from ..blobs import Blob

__all__ = ["Analyses", "Analysis"]


class Analysis:
    """One analysis running on the workers and the jobs to plan from it, as (arrival, job id)."""

    __slots__ = ("future", "held", "waiting")

    def __init__(self, future: Future[Any], held: Blob | None) -> None:
        self.future = future
        self.held = held  # a blob only the analysis needs (the validation file's): released when it ends
        self.waiting: list[tuple[int, str]] = []

    def take(self) -> list[tuple[int, str]]:
        """The jobs listed so far, forgotten here (the caller plans them)."""
        waiting, self.waiting = self.waiting, []
        return waiting


class Analyses:
    """The running analyses by key; an entry leaves when its analysis ends, so the table holds only work
    in progress. `ended` is told of each analysis that ends (on the worker thread)."""

    def __init__(self, ended: Callable[[Analysis], None]) -> None:
        self._running: dict[Hashable, Analysis] = {}
        self._lock = threading.Lock()
        self._ended = ended

    def join(self, key: Hashable, start: Callable[[], Future[Any]], held: Blob | None = None) -> Analysis:
        """The analysis running for `key`, else a new one whose work `start` submits. `held` is a blob the
        caller holds for the analysis: released once it ends (at once when one already runs for `key`);
        if `start` raises, the caller still holds it."""
        with self._lock:
            analysis = self._running.get(key)
            fresh = analysis is None
            if analysis is None:
                analysis = self._running[key] = Analysis(start(), held)
        if fresh:
            made = analysis
            made.future.add_done_callback(lambda _: self._end(key, made))
        elif held is not None:
            held.release()  # the running analysis holds a reference of its own
        return analysis

    def _end(self, key: Hashable, analysis: Analysis) -> None:
        with self._lock:
            if self._running.get(key) is analysis:
                del self._running[key]
        held, analysis.held = analysis.held, None
        if held is not None:
            held.release()
        self._ended(analysis)
