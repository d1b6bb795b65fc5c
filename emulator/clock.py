"""Clocks: the only place the emulator reads time, so tests can control it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Protocol

__all__ = ["PAUSE", "PINNED", "Clock", "RealClock", "VirtualClock", "make_clock", "pause"]

# The time one request observes, when a durable store pins it (so replay sees exactly what the request saw).
PINNED: ContextVar[float | None] = ContextVar("emulator_pinned_now", default=None)
# How a wall-clock wait (a scenario's delay) is spent; a durable store swaps it to let others run, and
# replay to skip it.
PAUSE: ContextVar[Callable[[float], Awaitable[None]] | None] = ContextVar("emulator_pause", default=None)


async def pause(seconds: float) -> None:
    """Wait `seconds` of wall time (scenario delays), unless the request's context says otherwise."""
    hook = PAUSE.get()
    await (hook(seconds) if hook is not None else asyncio.sleep(seconds))


class Clock(Protocol):
    mode: str

    def now(self) -> float:
        """Current emulator time in Unix seconds."""
        ...

    def advance(self, seconds: float) -> float:
        """Jump forward; returns the new time."""
        ...


class VirtualClock:
    """Stands still until `advance` is called: fully deterministic."""

    mode = "virtual"

    def __init__(self, start: float) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._now += seconds
            return self._now


class RealClock:
    """Follows the wall clock, `speed` times faster, plus whatever `advance` added."""

    mode = "real"

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self._anchor = time.time()
        self._started = time.monotonic()
        self._offset = 0.0

    def resume(self, at: float) -> None:
        """Carry on from `at` (where a restarted emulator's journal left off), keeping the advances."""
        self._anchor = at - self._offset
        self._started = time.monotonic()

    def now(self) -> float:
        return self._anchor + (time.monotonic() - self._started) * self.speed + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds
        return self.now()


def make_clock(mode: str, *, start: float, speed: float) -> Clock:
    return VirtualClock(start) if mode == "virtual" else RealClock(speed)
