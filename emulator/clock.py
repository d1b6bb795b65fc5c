"""Clocks: the only place the emulator reads time, so tests can control it."""

from __future__ import annotations

import threading
import time
from typing import Protocol

__all__ = ["Clock", "RealClock", "VirtualClock", "make_clock"]


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

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        self.speed = speed
        self._anchor = time.time() if start is None else start  # `start`: resume from a paused time
        self._started = time.monotonic()
        self._offset = 0.0

    def now(self) -> float:
        return self._anchor + (time.monotonic() - self._started) * self.speed + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds
        return self.now()


def make_clock(mode: str, *, start: float, speed: float) -> Clock:
    return VirtualClock(start) if mode == "virtual" else RealClock(speed)
