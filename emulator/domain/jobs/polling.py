"""The auto clock's rule: a client that keeps polling an unfinished job on a clock nobody moves gets the
clock moved to the job's next status change, so an ordinary `while ...: time.sleep(); retrieve()` loop
ends, deterministically (the same reads always move the clock to the same instants)."""

from __future__ import annotations

from typing import Any, Protocol

from ...clock import advance_to
from .job import Job
from .timeline import INF

__all__ = ["IDLE_READS", "FROZEN_HINT_READS", "Polled", "count_read", "note_read"]

# Reads of one unfinished job at one clock reading before an auto clock moves: a single re-read (e.g. a
# test checking that nothing changed) leaves the clock alone; a polling loop moves it on its third read.
IDLE_READS = 3
# Reads at one instant after which a frozen virtual clock leaves a hint for the pytest plugin to show.
FROZEN_HINT_READS = 20

FROZEN_HINT = (
    "job {job} was read {n} times while the emulator's virtual clock stood still, so it stays {status}: "
    "move time with openai_emulator.advance('10m') (POST /_emulator/clock/advance), finish it with "
    "openai_emulator.run_job(job_id), or use the auto clock (@pytest.mark.emulator(clock='auto'), the "
    "plugin's default), which advances when a job is polled."
)


class Polled(Protocol):
    """Something a client polls until it changes (a job, an Azure file being processed)."""

    read_at: float | None
    idle_reads: int


def count_read(polled: Polled, now: float) -> int:
    """Count a read at `now`: how many reads in a row came at this same clock reading."""
    if polled.read_at == now:
        polled.idle_reads += 1
    else:
        polled.read_at, polled.idle_reads = now, 1
    return polled.idle_reads


def note_read(em: Any, job: Job, now: float) -> float:
    """Count a read of `job` at `now`; on an auto clock the third read at one instant advances the clock
    to the job's next status change. Returns the time the read should be answered at."""
    if job.timeline_at(now).finished(now):
        job.idle_reads = 0
        return now
    reads = count_read(job, now)
    mode = getattr(em.clock, "mode", "")
    if mode == "virtual" and reads == FROZEN_HINT_READS:
        em.polling_hint = FROZEN_HINT.format(job=job.id, n=reads, status=job.status(now))
    if mode != "auto" or reads < IDLE_READS:
        return now
    milestone = job.timeline_at(now).next_milestone(now)
    if milestone is None or milestone == INF:  # paused or stuck in the queue: only a call moves it
        return now
    job.idle_reads = 0
    return advance_to(em.clock, milestone)
