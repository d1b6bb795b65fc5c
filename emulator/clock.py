"""Clocks: the only place the emulator reads time, so tests can control it."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Protocol

__all__ = [
    "MODES",
    "PAUSE",
    "PINNED",
    "AutoClock",
    "Clock",
    "RealClock",
    "VirtualClock",
    "advance_to",
    "make_clock",
    "pause",
]

# "virtual": frozen until advanced; "auto": virtual, but a client polling an unfinished job moves it;
# "real": the wall clock times `speed`.
MODES = ("virtual", "auto", "real")

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


class AutoClock(VirtualClock):
    """A virtual clock that polling moves: when a client keeps reading an unfinished fine-tuning job and
    finds the clock where it was, the read advances it to the job's next status change (the rule lives in
    `domain/jobs/polling.py`). Nothing else moves it, so it stays deterministic."""

    mode = "auto"


class RealClock:
    """Follows the wall clock, `speed` times faster, plus whatever `advance` added."""

    mode = "real"

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        self.speed = speed
        self._anchor = time.time() if start is None else start  # `start`: resume from a paused time
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
    if mode == "virtual":
        return VirtualClock(start)
    if mode == "auto":
        return AutoClock(start)
    return RealClock(speed)


def advance_to(clock: Clock, moment: float) -> float:
    """Move `clock` forward to at least `moment` (never back), exactly: float rounding in `advance` can
    land one ulp short, and a job milestone compared with `<=` must then count as reached."""
    gap = moment - clock.now()
    if gap > 0:
        clock.advance(gap)
    while clock.now() < moment:
        clock.advance(math.ulp(moment))
    return clock.now()
