"""Pacing and the lifecycle plan: how long each phase takes, and the timeline edits behind pause, resume
and cancel.

Durations at speed 1, calibrated on real jobs (reference §5.7: 100 examples x 3 epochs, ~243 tokens each,
validated after 22 s, finished ~14 min after creation):

* validating_files: 18 s + 0.05 s per example + 2 s per MB of training/validation data (at most 600 s),
  times a seeded jitter in [0.85, 1.15];
* queued: 20–40 s (seeded); after a resume: 10–20 s;
* running: `(1.2 s + 0.006 s x tokens per step) x model factor` per step (x2 for the large gpt-4o,
  gpt-4.1 and gpt-4 models, x3 for o4-mini), then 15 s to publish the model before `succeeded`.

A JobScript (from the active scenario) can replace any of these and inject failures and warnings.
"""

from __future__ import annotations

import math
import random
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..jobscript import JobFailure, JobScript, JobWarning
from .records import JobError, Note
from .timeline import INF, Segment, Terminal, Timeline

__all__ = ["TIMELINES", "Plan", "Timelines", "build_timeline", "cancel", "pace", "pause", "resume"]

FINALIZE_SECONDS = 15.0
STUCK_FAILURE_SECONDS = 30.0  # when a stuck queue is also told to fail, it fails this long after queuing
# Notes every job shows, shared by all of them (notes are immutable).
_VALIDATED = (Note("Files validated, moving job to queued state"),)
_STARTED = (Note("Fine-tuning job started"),)


@dataclass(frozen=True, slots=True)
class Plan:
    created: float
    validating: float
    queued: float
    requeue: float
    sps: float
    finalize: float
    total_steps: int
    created_notes: Sequence[Note]
    validation_notes: tuple[Note, ...]  # warnings (truncation) shown just before "Files validated"
    success_notes: Sequence[Note]
    outcome: JobError | None  # the validation verdict: None passes
    failure: JobFailure | None = None
    warnings: tuple[JobWarning, ...] = ()


def pace(
    rng: random.Random,
    *,
    n_examples: int,
    data_bytes: int,
    tokens_per_step: float,
    snapshot: str,
    script: JobScript | None,
) -> tuple[float, float, float, float]:
    """(validating, queued, requeue, seconds per step) for one job, honouring the script's overrides."""
    validating = min(600.0, 18.0 + 0.05 * n_examples + 2.0 * data_bytes / 1e6) * rng.uniform(0.85, 1.15)
    queued = rng.uniform(20.0, 40.0)
    requeue = rng.uniform(10.0, 20.0)
    factor = 3.0 if snapshot.startswith("o4") else 2.0 if _large(snapshot) else 1.0
    sps = (1.2 + 0.006 * tokens_per_step) * factor
    if script is not None:
        validating = validating if script.validating_seconds is None else script.validating_seconds
        if script.queued_seconds is not None:
            queued = requeue = script.queued_seconds
        sps = sps if script.seconds_per_step is None else script.seconds_per_step
    return validating, queued, requeue, sps


def _large(snapshot: str) -> bool:
    return snapshot.startswith(("gpt-4o-2", "gpt-4.1-2", "gpt-4-0"))


def build_timeline(plan: Plan) -> Timeline:
    t = plan.created
    segments = _phase("validating_files", t, plan.validating, plan.created_notes, plan)
    t += plan.validating
    if plan.outcome is not None:
        return Timeline(segments, _failed(t, plan.outcome))
    if plan.failure is not None and plan.failure.phase == "validating_files":
        return Timeline(segments, _failed(t, _script_error(plan.failure)))
    notes = (*plan.validation_notes, *_VALIDATED) if plan.validation_notes else _VALIDATED
    segments += _phase("queued", t, plan.queued, notes, plan)
    if plan.failure is not None and plan.failure.phase == "queued":
        fail_at = t + (plan.queued if plan.queued < INF else STUCK_FAILURE_SECONDS)
        timeline = Timeline(segments, None)
        timeline.cut(fail_at)
        timeline.terminal = _failed(fail_at, _script_error(plan.failure))
        return timeline
    running, terminal = _run(plan, t + plan.queued, 0, _STARTED, warnings=True)
    return Timeline(segments + running, terminal)


class Timelines:
    """The timelines of plans nobody has edited, rebuilt on demand (a pure function of the plan) and
    kept for the `size` plans read last: a store of 100k jobs holds a plan per job (a few numbers) and
    timelines only for the jobs being read. Those timelines are shared, so they refuse edits."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._items: OrderedDict[int, tuple[Plan, Timeline]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, plan: Plan) -> Timeline:
        key = id(plan)  # the entry holds the plan, so its id is not reused while cached
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] is plan:
                self._items.move_to_end(key)
                return hit[1]
        timeline = build_timeline(plan)
        timeline.shared = True
        with self._lock:
            self._items[key] = (plan, timeline)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return timeline


TIMELINES = Timelines()


def pause(timeline: Timeline, now: float, plan: Plan) -> None:
    k = timeline.steps_done(now)
    timeline.cut(now)
    note = Note(f"Fine-tuning job paused at step {k}/{plan.total_steps}")
    timeline.extend([Segment("paused", now, INF, (note,), k, k, now)], None)


def resume(timeline: Timeline, now: float, plan: Plan) -> None:
    k = timeline.steps_done(now)
    timeline.cut(now)
    queued = Segment(
        "queued",
        now,
        now + plan.requeue,
        (Note("Fine-tuning job resumed, moving job to queued state"),),
        k,
        k,
        now,
    )
    running, terminal = _run(plan, now + plan.requeue, k, (Note(f"Fine-tuning job restarted from step {k}"),))
    timeline.extend([queued, *running], terminal)


def cancel(timeline: Timeline, at: float) -> bool:
    """Cancel at `at` unless the job ends before; returns whether the cancel will take effect."""
    if timeline.terminal is not None and timeline.terminal.at <= at:
        return False
    timeline.cut(at)
    timeline.terminal = Terminal("cancelled", at, (Note("Fine-tuning job cancelled"),))
    return True


def _phase(phase: str, start: float, duration: float, notes: Sequence[Note], plan: Plan) -> list[Segment]:
    return _with_warnings([Segment(phase, start, start + duration, notes)], phase, plan)


def _with_warnings(segments: list[Segment], phase: str, plan: Plan) -> list[Segment]:
    """Insert the script's warnings for `phase`, each `after_seconds` into it (or just before it ends)."""
    start, end = segments[0].start, segments[-1].end
    for warning in sorted((w for w in plan.warnings if w.phase == phase), key=lambda w: w.after_seconds):
        at = start + warning.after_seconds
        note = Note(warning.message, level="warn")
        if at >= end:
            last = segments[-1]
            segments.append(Segment(phase, end, end, (note,), last.k_hi, last.k_hi, end))
            continue
        for i, segment in enumerate(segments):
            if segment.start == at:
                segments[i] = replace(segment, notes=(*segment.notes, note))
                break
            if segment.start < at < segment.end:
                first, second = segment.split(at)
                segments[i : i + 1] = [first, replace(second, notes=(note,))]
                break
    return segments


def _run(
    plan: Plan, start: float, k_from: int, notes: tuple[Note, ...], *, warnings: bool = False
) -> tuple[list[Segment], Terminal]:
    fail_step = None
    if plan.failure is not None and plan.failure.phase == "running":
        # "fails at step N": step N completes (its metrics event is the last one), then the job fails
        # when step N + 1 would have completed.
        fail_step = plan.failure.at_step or max(1, plan.total_steps // 2)
        fail_step = max(fail_step, k_from + 1)
    last = plan.total_steps if fail_step is None else min(plan.total_steps, fail_step)
    if fail_step is not None and fail_step <= plan.total_steps:
        end = start + (fail_step + 1 - k_from) * plan.sps
        terminal = _failed(end, _script_error(plan.failure))  # type: ignore[arg-type]
    else:
        end = start + (last - k_from) * plan.sps + plan.finalize
        terminal = Terminal("succeeded", end, plan.success_notes)
    segments = [Segment("running", start, end, notes, k_from, last, start, plan.sps)]
    if warnings:
        segments = _with_warnings(segments, "running", plan)
    return segments, terminal


def _failed(at: float, error: JobError) -> Terminal:
    return Terminal("failed", at, (Note(error.message, level="error"),), error)


def _script_error(failure: JobFailure) -> JobError:
    param = failure.param if failure.param is not None or failure.phase == "running" else "training_file"
    return JobError(failure.code, failure.message, param)


def steps_for(n_examples: int, batch_size: int, n_epochs: int) -> int:
    return max(1, math.ceil(max(1, n_examples) / batch_size)) * n_epochs
