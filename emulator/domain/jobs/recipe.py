"""A job's plan from its files' analysis, in two steps: the verdict, taken once when the analysis ends and
kept as a small Recipe, and the Training (resolved values, curve, plan) derived from it whenever read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...ids import IdFactory, derive_seed
from ..files import FileRecord
from ..jobscript import JobScript
from .hyperparameters import resolve, steps_per_epoch
from .job import Job, Training
from .metrics import Curve
from .notes import CreatedNotes, SuccessNotes
from .plan import Plan, pace
from .records import JobError, Note
from .report import MAX_NOTED, FileAnalysis, moderation_message
from .reward import RewardCurve

__all__ = ["Inputs", "Recipe", "not_before", "recipe"]


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the plan needs besides the analysis, fixed when the job is created."""

    training: FileRecord
    validation: FileRecord | None
    data_bytes: int
    script: JobScript | None
    ids: IdFactory  # the plan's random stream comes from it, made when planning (a Random is 2.5 KB)
    created: float


def not_before(inputs: Inputs) -> float:
    """The earliest clock time the analysis can change what a read shows: the shortest validating phase
    `pace` can give these bytes (a script that shapes validation makes it now)."""
    script = inputs.script
    if script is not None and (
        script.validating_seconds is not None or any(w.phase == "validating_files" for w in script.warnings)
    ):
        return inputs.created
    return inputs.created + min(600.0, 18.0 + 2.0 * inputs.data_bytes / 1e6) * 0.85


@dataclass(frozen=True, slots=True)
class Recipe:
    """What a job's Training is derived from: a few numbers from its inputs and its files' verdict (not
    the analysis reports, which grow with the files)."""

    has_validation: bool
    data_bytes: int
    script: JobScript | None
    ids: IdFactory
    created: float
    outcome: JobError | None  # the validation verdict: None passes
    n_examples: int
    billable_tokens: int  # per epoch
    validation_notes: tuple[Note, ...]

    def train(self, job: Job) -> Training:
        """The job's resolved values, curve and plan (a pure function of the recipe and the job)."""
        resolved = resolve(job.spec, self.n_examples, job.snapshot)
        per_epoch = steps_per_epoch(self.n_examples, resolved.batch_size)
        total = per_epoch * resolved.n_epochs
        rng = self.ids.rng("ftjob-plan", job.id)  # a fresh stream: the same numbers if this runs twice
        tokens_per_step = self.billable_tokens / max(1, self.n_examples) * resolved.batch_size
        script = self.script
        validating, queued, requeue, sps = pace(
            rng,
            n_examples=self.n_examples,
            data_bytes=self.data_bytes,
            tokens_per_step=tokens_per_step,
            snapshot=job.snapshot,
            script=script,
        )
        # Same user seed, data and parameters: the same loss curve (as OpenAI promises for `seed`).
        values, blob = resolved.values, job.training_blob  # the training file's bytes, held by the job
        assert blob is not None
        curve_key = derive_seed("curve", job.seed, blob.md5, job.snapshot, sorted(values.items()))
        curve = (
            RewardCurve(curve_key, total, per_epoch, self.has_validation, int(values["eval_interval"]))
            if job.spec.type == "reinforcement"
            else Curve(curve_key, total, per_epoch, self.has_validation)
        )
        plan = Plan(
            created=self.created,
            validating=validating,
            queued=queued,
            requeue=requeue,
            sps=sps,
            finalize=15.0,
            total_steps=total,
            created_notes=CreatedNotes(job.id, job.training_file, job.validation_file),
            validation_notes=self.validation_notes,
            success_notes=SuccessNotes(job, per_epoch, resolved.n_epochs, total),
            outcome=self.outcome,
            failure=script.failure if script is not None else None,
            warnings=script.warnings if script is not None else (),
        )
        return Training(resolved, self.billable_tokens, curve, plan)


def recipe(job: Job, inputs: Inputs, reports: tuple[FileAnalysis, FileAnalysis | None]) -> Recipe:
    """The verdict on the job's files (OpenAI's error, or a script's), and what else its plan needs."""
    report, valid_report = reports
    training, validation, script = inputs.training, inputs.validation, inputs.script
    outcome = report.job_error(training.id)
    if validation is not None and valid_report is not None:
        if outcome is None and (valid_report.format_mismatch or valid_report.problems):
            outcome = valid_report.job_error(validation.id, role="validation")
    if script is not None:
        if script.reject_moderation:
            outcome = JobError(
                "invalid_training_file", moderation_message(report.flagged_categories or ["hate"])
            )
        elif script.reject_invalid_file:
            outcome = JobError(
                "invalid_training_file",
                "The job failed due to an invalid training file. Unexpected file format, expected either "
                "prompt/completion pairs or chat messages.",
            )
        if script.failure is not None and script.failure.phase == "validating_files":
            outcome = None  # the script's failure is applied by the plan
    return Recipe(
        has_validation=validation is not None,
        data_bytes=inputs.data_bytes,
        script=script,
        ids=inputs.ids,
        created=inputs.created,
        outcome=outcome,
        n_examples=report.n_examples,
        billable_tokens=report.billable_tokens,
        validation_notes=_truncation_notes(report, job.snapshot),
    )


def _truncation_notes(report: Any, snapshot: str) -> tuple[Note, ...]:
    notes = [
        Note(
            f"Example {example} has {count} tokens, more than the {report.token_limit}-token limit for "
            f"{snapshot}; "
            f"it will be truncated to {report.token_limit} tokens.",
            level="warn",
        )
        for example, count in report.truncated
    ]
    if report.n_truncated > MAX_NOTED:
        notes.append(
            Note(f"{report.n_truncated - MAX_NOTED} more example(s) will be truncated.", level="warn")
        )
    return tuple(notes)
