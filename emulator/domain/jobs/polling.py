"""The auto clock's rule: a client that keeps polling an unfinished job on a clock nobody moves gets the
clock moved to the job's next status change, so an ordinary `while ...: time.sleep(); retrieve()` loop
ends, deterministically (the same reads always move the clock to the same instants)."""

from __future__ import annotations

from typing import Any

from ...clock import advance_to
from .job import Job
from .timeline import INF

__all__ = ["IDLE_READS", "FROZEN_HINT_READS", "note_read"]

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


def note_read(em: Any, job: Job, now: float) -> float:
    """Count a read of `job` at `now`; on an auto clock the third read at one instant advances the clock
    to the job's next status change. Returns the time the read should be answered at."""
    if job.timeline.finished(now):
        job.idle_reads = 0
        return now
    if job.read_at == now:
        job.idle_reads += 1
    else:
        job.read_at, job.idle_reads = now, 1
    mode = getattr(em.clock, "mode", "")
    if mode == "virtual" and job.idle_reads == FROZEN_HINT_READS:
        em.polling_hint = FROZEN_HINT.format(job=job.id, n=job.idle_reads, status=job.status(now))
    if mode != "auto" or job.idle_reads < IDLE_READS:
        return now
    milestone = job.timeline.next_milestone(now)
    if milestone is None or milestone == INF:  # paused or stuck in the queue: only a call moves it
        return now
    job.idle_reads = 0
    return advance_to(em.clock, milestone)
