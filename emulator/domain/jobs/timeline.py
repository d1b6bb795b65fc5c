"""A job's lifecycle as data: segments of time (validating, queued, running, paused) and a terminal state.

The whole future is computed when a job is created; a read only asks "where is `now`?". Pause, resume,
cancel and the progression policies edit the part of the timeline after `now` and never the past, so
everything a client has already seen (events, their order and ids) stays put.

    segments:  [validating_files)[queued)[running: steps 1..K, then finalizing)  terminal(succeeded)

A running segment knows its steps: step k (k_lo < k <= k_hi) completes at `t0 + (k - k_lo) * sps`. Each
segment carries `notes`, the message events emitted when it starts; step events are generated on demand.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from .records import JobError, Note

__all__ = ["INF", "Segment", "Terminal", "Timeline"]

INF = math.inf
_EPS = 1e-7


@dataclass(frozen=True, slots=True)
class Segment:
    phase: str  # validating_files | queued | running | paused
    start: float
    end: float  # INF: open-ended (stuck in the queue, paused)
    notes: Sequence[Note] = ()
    k_lo: int = 0  # steps completed before this segment
    k_hi: int = 0  # steps completed by its end
    t0: float = 0.0  # when step k_lo completed (the origin of the step grid)
    sps: float = 0.0  # seconds per step; 0 means every step completes at t0

    @property
    def n_steps(self) -> int:
        return self.k_hi - self.k_lo

    def steps_done(self, t: float) -> int:
        """The step count reached by time `t` (between k_lo and k_hi)."""
        if t >= self.end or self.n_steps == 0:
            return self.k_hi if t >= self.end else self.k_lo
        if t < self.t0:
            return self.k_lo
        if self.sps <= 0:
            return self.k_hi
        return min(self.k_hi, self.k_lo + int(math.floor((t - self.t0) / self.sps + _EPS)))

    def step_time(self, k: int) -> float:
        return self.t0 + (k - self.k_lo) * self.sps

    def split(self, t: float) -> tuple[Segment, Segment]:
        """Cut at `t` (start < t < end); the second half continues without notes."""
        k = self.steps_done(t)
        first = replace(self, end=t, k_hi=k)
        second = Segment(self.phase, t, self.end, (), k, self.k_hi, self.step_time(k), self.sps)
        return first, second


@dataclass(frozen=True, slots=True)
class Terminal:
    status: str  # succeeded | failed | cancelled
    at: float
    notes: Sequence[Note] = ()
    error: JobError | None = None


@dataclass(slots=True)
class Timeline:
    segments: list[Segment]
    terminal: Terminal | None
    # A timeline rebuilt from an unedited plan and shared by reads (see plan.Timelines): never edited.
    shared: bool = field(default=False, compare=False, repr=False)

    def _editing(self) -> None:
        assert not self.shared, "edit a job's own timeline (Job.edit_timeline), not a shared one"

    # -- reading ------------------------------------------------------------------------------------

    def current(self, now: float) -> Segment | None:
        found = None
        for segment in self.segments:
            if segment.start <= now:
                found = segment
            else:
                break
        return found

    def status(self, now: float) -> str:
        if self.terminal is not None and self.terminal.at <= now:
            return self.terminal.status
        segment = self.current(now)
        return segment.phase if segment is not None else "validating_files"

    def finished(self, now: float) -> bool:
        return self.terminal is not None and self.terminal.at <= now

    def steps_done(self, now: float) -> int:
        return max((s.steps_done(now) for s in self.segments if s.start <= now), default=0)

    def reached(self, phase: str, now: float) -> bool:
        """Whether any segment of `phase` has started by `now`."""
        return any(s.phase == phase and s.start <= now for s in self.segments)

    def next_milestone(self, now: float) -> float | None:
        """When the status next changes after `now` (None: it never does by itself)."""
        if self.finished(now):
            return None
        phase = self.status(now)
        for segment in self.segments:
            if segment.start > now and segment.phase != phase:
                return segment.start
        if self.terminal is not None:
            return self.terminal.at
        return None

    def when(self, status: str) -> float | None:
        """When the timeline first enters `status` (None: it never does as things stand)."""
        if self.terminal is not None and self.terminal.status == status:
            return self.terminal.at
        for segment in self.segments:
            if segment.phase == status:
                return segment.start
        return None

    def step_segment(self, k: int) -> Segment | None:
        for segment in self.segments:
            if segment.k_lo < k <= segment.k_hi:
                return segment
        return None

    # -- the event stream ---------------------------------------------------------------------------

    def blocks(self) -> Iterator[tuple[str, Segment | Terminal]]:
        """The event stream in order: each segment's notes, then its steps; then the terminal's notes."""
        for segment in self.segments:
            yield "notes", segment
            yield "steps", segment
        if self.terminal is not None:
            yield "notes", self.terminal

    def visible_count(self, now: float) -> int:
        total = 0
        for kind, block in self.blocks():
            total += _visible(kind, block, now)
        return total

    def locate(self, index: int, now: float) -> tuple[str, Segment | Terminal, int] | None:
        """The block holding event `index` (chronological, 0-based) and the offset inside it."""
        for kind, block in self.blocks():
            n = _visible(kind, block, now)
            if index < n:
                return kind, block, index
            index -= n
        return None

    def located(
        self, start: int, stop: int, now: float
    ) -> Iterator[tuple[int, str, Segment | Terminal, int]]:
        """`locate` for the indexes `start`, `start - 1`, ... down to `stop + 1` (a page, newest first),
        each as (index, kind, block, offset), in one walk over the blocks."""
        spans: list[tuple[int, str, Segment | Terminal]] = []
        first = 0
        for kind, block in self.blocks():
            n = _visible(kind, block, now)
            if n:
                spans.append((first, kind, block))
                first += n
        at = len(spans) - 1
        for index in range(start, stop, -1):
            while spans[at][0] > index:
                at -= 1
            begin, kind, block = spans[at]
            yield index, kind, block, index - begin

    # -- editing the future -------------------------------------------------------------------------

    def cut(self, t: float) -> None:
        """Drop everything after `t`: the segment at `t` ends there and the terminal is removed."""
        self._editing()
        kept: list[Segment] = []
        for segment in self.segments:
            if segment.start > t:
                break
            if segment.end > t:
                segment = replace(segment, end=t, k_hi=segment.steps_done(t))
            kept.append(segment)
        self.segments = kept
        self.terminal = None

    def extend(self, segments: list[Segment], terminal: Terminal | None) -> None:
        self._editing()
        self.segments.extend(segments)
        self.terminal = terminal

    def shift(self, now: float, seconds: float) -> None:
        """Delay everything after `now` by `seconds` (how a manually driven job stands still)."""
        if seconds <= 0:
            return
        self._remap(now, [], lambda t: t + seconds)

    def compress(self, now: float, until: float) -> None:
        """Fast-forward: everything in (now, until] happens at `now`; the rest moves earlier to match."""
        if until <= now:
            return
        gap = until - now
        self._remap(now, [until], lambda t: now if t <= until else t - gap)

    def _remap(self, now: float, breaks: list[float], f: Callable[[float], float]) -> None:
        self._editing()
        pieces = self.segments
        for cut in [now, *breaks]:
            pieces = [half for s in pieces for half in (s.split(cut) if s.start < cut < s.end else (s,))]
        out: list[Segment] = []
        for s in pieces:
            if s.end <= now:
                out.append(s)
                continue
            start = s.start if s.start <= now else f(s.start)
            end = f(s.end) if s.end < INF else INF
            first_step = s.step_time(s.k_lo + 1)
            if s.n_steps and f(first_step) == now and f(s.step_time(s.k_hi)) == now:
                out.append(replace(s, start=start, end=end, t0=now, sps=0.0))
            else:
                shift = f(first_step) - first_step if s.n_steps else 0.0
                out.append(replace(s, start=start, end=end, t0=s.t0 + shift))
        self.segments = out
        if self.terminal is not None and self.terminal.at > now:
            self.terminal = replace(self.terminal, at=f(self.terminal.at))


def _visible(kind: str, block: Segment | Terminal, now: float) -> int:
    if kind == "notes":
        start = block.start if isinstance(block, Segment) else block.at
        return len(block.notes) if start <= now else 0
    assert isinstance(block, Segment)
    if block.start > now:
        return 0
    return block.steps_done(now) - block.k_lo
