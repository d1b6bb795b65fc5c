"""The fine-tuning job record: what was asked, its precomputed timeline, and the views a read derives from
the clock (the job object, event pages, checkpoints)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..collection import Page
from .hyperparameters import MethodSpec, Resolved
from .metrics import Curve
from .naming import EventIds, token
from .plan import Plan
from .records import Checkpoint, Event, Note
from .report import TRAINING_PRICE_PER_1K
from .timeline import Segment, Terminal, Timeline

__all__ = ["Job", "Work"]

TERMINAL = ("succeeded", "failed", "cancelled")


@dataclass
class Work:
    """Counters of work done by reads (events and metrics built), so tests can check reads are O(limit)."""

    events_built: int = 0
    checkpoints_built: int = 0


@dataclass(eq=False)
class Job:
    id: str
    created_at: int
    organization_id: str
    model: str  # what the job reports: the resolved snapshot (or the ft: model trained further)
    snapshot: str  # the base snapshot, first part of every model name
    training_file: str
    validation_file: str | None
    spec: MethodSpec
    resolved: Resolved
    suffix: str | None
    seed: int
    integrations: list[dict[str, Any]] | None
    metadata: dict[str, str] | None
    key: int  # everything derived (event ids, names, metrics noise) hangs off this
    model_slug: str
    billable_tokens: int  # per epoch
    plan: Plan
    timeline: Timeline
    curve: Curve
    work: Work
    policy: str | None = None  # progression override for this job
    stale_reads: int = 0
    cancel_seconds: float = 0.0  # a scripted slow cancel lands this long after it is asked for
    cancel_requested: bool = False
    result_file_id: str | None = None
    finalized: bool = False
    version: int = 0
    # manual progression bookkeeping: clock drift already accounted for, and when
    drift_mark: float | None = None
    # polling bookkeeping (see polling.py): the clock reading of the last read, and reads at that reading
    read_at: float | None = None
    idle_reads: int = 0
    drift_clock: int = 0
    synced_at: float = 0.0
    ids: EventIds = field(init=False)

    def __post_init__(self) -> None:
        self.ids = EventIds(self.key)

    # -- names ---------------------------------------------------------------------------------------

    @property
    def fine_tuned_model(self) -> str:
        return f"ft:{self.snapshot}:{self.model_slug}:{self.suffix or ''}:{token(8, self.key, 'model')}"

    def checkpoint_model(self, step: int) -> str:
        if step == self.curve.total_steps:
            return self.fine_tuned_model
        ckpt = token(8, self.key, "checkpoint-model")
        return f"ft:{self.snapshot}:{self.model_slug}:{self.suffix or ''}:{ckpt}:ckpt-step-{step}"

    def checkpoint_steps(self) -> list[int]:
        """The ends of the last three epochs, highest first."""
        per_epoch = self.curve.steps_per_epoch
        epochs = self.resolved.n_epochs
        return [e * per_epoch for e in range(epochs, max(0, epochs - 3), -1)]

    # -- state at a time -----------------------------------------------------------------------------

    def status(self, now: float) -> str:
        return self.timeline.status(now)

    def validated(self, now: float) -> bool:
        """Whether validation has passed by `now` (hyperparameters show their resolved values from then)."""
        if self.plan.outcome is not None:
            return False
        return any(s.phase != "validating_files" and s.start <= now for s in self.timeline.segments)

    def hyperparameters(self, now: float) -> dict[str, Any]:
        values = self.resolved.values if self.validated(now) else self.spec.requested()
        return dict(values)

    def to_dict(self, now: float, *, stale: bool = False) -> dict[str, Any]:
        status = self.status(now)
        terminal = self.timeline.terminal
        succeeded = status == "succeeded"
        hp = self.hyperparameters(now)
        method: dict[str, Any] = {"type": self.spec.type, self.spec.type: {"hyperparameters": hp}}
        if self.spec.type == "reinforcement":
            method["reinforcement"]["grader"] = self.spec.grader
            if self.spec.response_format is not None:
                method["reinforcement"]["response_format"] = self.spec.response_format
        estimated = None
        if status == "running" and terminal is not None and terminal.status == "succeeded":
            estimated = int(terminal.at)
        return {
            "object": "fine_tuning.job",
            "id": self.id,
            "model": self.model,
            "created_at": self.created_at,
            "finished_at": int(terminal.at) if succeeded and terminal is not None else None,
            "fine_tuned_model": self.fine_tuned_model if succeeded and not stale else None,
            "organization_id": self.organization_id,
            "result_files": [self.result_file_id] if succeeded and self.result_file_id else [],
            "status": status,
            "validation_file": self.validation_file,
            "training_file": self.training_file,
            "hyperparameters": {k: hp[k] for k in ("batch_size", "learning_rate_multiplier", "n_epochs")},
            "trained_tokens": self.trained_tokens if succeeded else None,
            # Real jobs show `"error": {}` until they fail; the spec and the SDK only allow null or a full
            # error object, so null it is.
            "error": terminal.error.to_dict() if status == "failed" and terminal and terminal.error else None,
            "integrations": self.integrations,
            "seed": self.seed,
            "estimated_finish": estimated,
            "method": method,
            "metadata": self.metadata,
            "user_provided_suffix": self.suffix,
        }

    # -- events --------------------------------------------------------------------------------------

    def event_count(self, now: float) -> int:
        return self.timeline.visible_count(now)

    def events_page(self, now: float, *, limit: int, after: str | None) -> Page[Event]:
        """Newest first; `after` an event id gives the events older than it. Costs O(limit)."""
        total = self.event_count(now)
        if after is None:
            start = total - 1
        else:
            index = self.ids.decode(after)
            if index is None or index >= total:
                return Page([], False)
            start = index - 1
        stop = max(-1, start - limit)
        events = [self.event_at(i, now) for i in range(start, stop, -1)]
        return Page(events, stop >= 0)

    def event_at(self, index: int, now: float) -> Event:
        found = self.timeline.locate(index, now)
        assert found is not None, f"event {index} is not visible"
        kind, block, offset = found
        self.work.events_built += 1
        event_id = self.ids.encode(index)
        if kind == "notes":
            note: Note = block.notes[offset]
            at = block.start if isinstance(block, Segment) else block.at
            return Event(event_id, int(at), note.level, note.message, "message", dict(note.data))
        assert isinstance(block, Segment)
        step = block.k_lo + offset + 1
        data = self.curve.metrics(step)
        return Event(event_id, int(block.step_time(step)), "info", self.curve.message(data), "metrics", data)

    # -- checkpoints ---------------------------------------------------------------------------------

    def checkpoints(self, now: float) -> list[Checkpoint]:
        """Visible once the job has succeeded, highest step first."""
        if self.status(now) != "succeeded":
            return []
        out = []
        for step in self.checkpoint_steps():
            self.work.checkpoints_built += 1
            segment = self.timeline.step_segment(step)
            at = segment.step_time(step) if segment is not None else self._terminal().at
            out.append(
                Checkpoint(
                    id="ftckpt_" + token(24, self.key, "checkpoint", step),
                    created_at=int(at),
                    fine_tuned_model_checkpoint=self.checkpoint_model(step),
                    fine_tuning_job_id=self.id,
                    step_number=step,
                    metrics=self.curve.checkpoint_metrics(step),
                )
            )
        return out

    def checkpoints_page(self, now: float, *, limit: int, after: str | None) -> Page[Checkpoint]:
        items = self.checkpoints(now)
        if after is not None:
            ids = [c.id for c in items]
            if after not in ids:
                return Page([], False)
            items = items[ids.index(after) + 1 :]
        return Page(items[:limit], len(items) > limit)

    def _terminal(self) -> Terminal:
        assert self.timeline.terminal is not None
        return self.timeline.terminal

    @property
    def trained_tokens(self) -> int:
        """Tokens billed if the job runs to the end: billable tokens per epoch times the resolved epochs."""
        return self.billable_tokens * self.resolved.n_epochs

    @property
    def estimated_cost(self) -> float:
        """Dollars at the emulator's training price, as `emulator validate` estimates them."""
        return self.trained_tokens / 1000 * TRAINING_PRICE_PER_1K

    def is_finished(self, now: float) -> bool:
        return self.status(now) in TERMINAL
