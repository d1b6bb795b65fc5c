"""JobScript: how a scenario bends one fine-tuning job's simulated lifecycle.

The scenario engine produces a JobScript for a job when it is created (`Emulator.script_for_job`); the
jobs domain folds it into the job's precomputed timeline. Every field left at its default means "as usual".
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["JobFailure", "JobScript", "JobWarning"]


@dataclass(frozen=True)
class JobFailure:
    """Fail the job in `phase` ("validating_files", "queued" or "running"; at `at_step` when running)."""

    phase: str
    code: str
    message: str
    at_step: int | None = None
    param: str | None = None


@dataclass(frozen=True)
class JobWarning:
    """An extra `warn`-level event, `after_seconds` into the phase."""

    phase: str
    message: str
    after_seconds: float = 0.0


@dataclass(frozen=True)
class JobScript:
    validating_seconds: float | None = None  # None: the usual duration
    queued_seconds: float | None = None  # math.inf: stuck in the queue
    seconds_per_step: float | None = None
    failure: JobFailure | None = None
    reject_moderation: bool = False  # fail validation as OpenAI's safety screening does
    reject_invalid_file: bool = False  # fail validation as if the training file were malformed
    cancel_seconds: float = 0.0  # a cancel takes effect this long after it is asked for
    warnings: tuple[JobWarning, ...] = ()
    stale_reads: int = 0  # reads of a succeeded job that still show fine_tuned_model null
    rule: str | None = None  # the scenario rule that produced this script, for the journal
