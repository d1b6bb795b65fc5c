"""The fine-tuning job record: what was asked, its precomputed timeline, and the views a read derives from
the clock (the job object, event pages, checkpoints)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..azure_names import azure_model_name, hex_token
from ..blobs import Blob
from ..collection import Page
from ..tuning import training_cost
from .analyses import Analysis
from .hyperparameters import MethodSpec, Resolved
from .kept import KeptTrainings
from .metrics import Curve
from .naming import EventIds, HexEventIds, token
from .notes import checkpoint_steps
from .plan import TIMELINES, Plan, build_timeline
from .records import Checkpoint, Event, Note
from .timeline import Segment, Terminal, Timeline

__all__ = ["Job", "Pending", "Recipe", "Training", "Work", "checkpoint_steps"]

TERMINAL = ("succeeded", "failed", "cancelled")


@dataclass(slots=True)
class Work:
    """What a store's jobs share: counters of work done by reads (events and metrics built), so tests can
    check reads are O(limit), and which jobs hold their derived Training."""

    events_built: int = 0
    checkpoints_built: int = 0
    kept: KeptTrainings = field(default_factory=KeptTrainings)


class Recipe(Protocol):
    """What a planned job's Training is derived from (its inputs and its files' verdict), small enough to
    keep for every job; `train` is a pure function, so a dropped Training is derived again unchanged."""

    def train(self, job: Job) -> Training: ...


@dataclass(slots=True)
class Training:
    """What the job's files decide: resolved hyperparameters, billable tokens, the loss curve and the
    plan. A pure function of the files' content and the request, whenever it is computed. The timeline
    is derived from the plan when read (see Timelines) and only stored once pause, resume, cancel or a
    progression policy edits it."""

    resolved: Resolved
    billable_tokens: int  # per epoch
    curve: Curve
    plan: Plan
    edited: Timeline | None = None

    @property
    def timeline(self) -> Timeline:
        return self.edited if self.edited is not None else TIMELINES.get(self.plan)

    def editable(self) -> Timeline:
        """The job's own timeline, to edit (made from the plan on the first edit)."""
        if self.edited is None:
            self.edited = build_timeline(self.plan)
        return self.edited


class Pending:
    """A job whose files are still being analysed off the event loop.

    Until `not_before` (the earliest clock time the analysis could change anything a client sees: the
    shortest possible validating_files phase) reads use the `provisional` timeline, which shows exactly
    what the real one would. From then on a read needs the real one: request handlers await `future`
    first, so only that request waits; `Job.training` blocks for it as a last resort. The analysis may
    be shared with other jobs on the same files (see analyses.py); what only this job needs lives here,
    and goes once the job is planned.
    """

    __slots__ = ("analysis", "finish", "lock", "not_before", "on_trained", "provisional")

    def __init__(
        self,
        analysis: Analysis,
        finish: Callable[[Job, Any], Recipe],
        provisional: Timeline,
        not_before: float,
    ) -> None:
        self.analysis = analysis
        self.finish = finish
        self.provisional = provisional
        self.not_before = not_before
        self.on_trained: Callable[[Job], None] | None = None  # the store queues the success time
        self.lock = threading.RLock()  # one planning of the job, whichever thread asks first

    @property
    def future(self) -> Future[Any]:
        return self.analysis.future


@dataclass(eq=False, slots=True)
class Job:
    id: str
    created_at: int
    organization_id: str
    model: str  # what the job reports: the resolved snapshot (or the ft: model trained further)
    snapshot: str  # the base snapshot, first part of every model name
    training_file: str
    validation_file: str | None
    spec: MethodSpec
    suffix: str | None
    seed: int
    integrations: list[dict[str, Any]] | None
    metadata: dict[str, str] | None
    key: int  # everything derived (event ids, names, metrics noise) hangs off this
    model_slug: str
    work: Work
    # What the files decide: `pending` until its analysis is done, then a `recipe` whose Training is held
    # in `trained` while the job is among those read last (see kept.py) or once its timeline is edited.
    trained: Training | None = None
    pending: Pending | None = None
    recipe: Recipe | None = None
    training_blob: Blob | None = None  # held: what the model learns survives the file's deletion
    policy: str | None = None  # progression override for this job
    azure: bool = False  # an Azure resource's job: Azure's model and checkpoint names (domain/azure_names.py)
    # Azure checkpoint copies (checkpoint_copy.py): checkpoint id -> (destination, region) -> started at
    checkpoint_copies: dict[str, dict[tuple[str, str], float]] | None = None  # made by the first copy
    stale_reads: int = 0
    cancel_seconds: float = 0.0  # a scripted slow cancel lands this long after it is asked for
    cancel_requested: bool = False
    result_file_id: str | None = None
    finalized: bool = False
    ended: bool = False  # seen in a terminal status by the store's settle (see JobStore.active)
    version: int = 0
    # manual progression bookkeeping: clock drift already accounted for, and when
    drift_mark: float | None = None
    # polling bookkeeping (see polling.py): the clock reading of the last read, and reads at that reading
    read_at: float | None = None
    idle_reads: int = 0
    drift_clock: object = None  # the clock the drift mark was read from (a new clock starts over)
    synced_at: float = 0.0

    @property
    def ids(self) -> EventIds:
        """Event ids, derived from the key (a tiny object made per read, not stored per job)."""
        return HexEventIds(self.key) if self.azure else EventIds(self.key)

    # -- what the files decide -----------------------------------------------------------------------

    @property
    def training(self) -> Training:
        """The analysed plan; waits for a pending analysis (handlers await it first, see Pending)."""
        trained = self.trained
        if trained is not None:
            return trained
        pending = self.pending  # read before `recipe`: planning sets the recipe before clearing it
        recipe = self.recipe
        if recipe is None:
            assert pending is not None
            with pending.lock:
                if self.recipe is None:
                    self.recipe = pending.finish(self, pending.future.result())
                    self.work.kept.keep(self, self.recipe.train(self))
                    self.pending = None
                    if pending.on_trained is not None:
                        pending.on_trained(self)
                recipe = self.recipe
        trained = self.trained
        if trained is None:
            trained = recipe.train(self)
            self.work.kept.keep(self, trained)
        return trained

    def provisional(self, now: float) -> bool:
        """Whether a read at `now` can (and does) use the provisional timeline of a pending analysis."""
        pending = self.pending
        return pending is not None and now < pending.not_before and not pending.future.done()

    def waiting_on(self, now: float | None = None) -> Future[Any] | None:
        """The analysis a read at `now` (None: any mutation) needs and that is not ready yet, if any."""
        pending = self.pending
        if pending is None or pending.future.done():
            return None
        return pending.future if now is None or now >= pending.not_before else None

    def timeline_at(self, now: float) -> Timeline:
        """The timeline a read at `now` sees: the provisional one while the analysis may still run, so
        the read never waits for it."""
        pending = self.pending
        if pending is not None and self.provisional(now):
            return pending.provisional
        return self.training.timeline

    @property
    def resolved(self) -> Resolved:
        return self.training.resolved

    @property
    def billable_tokens(self) -> int:
        return self.training.billable_tokens

    @property
    def curve(self) -> Curve:
        return self.training.curve

    @property
    def plan(self) -> Plan:
        return self.training.plan

    @property
    def timeline(self) -> Timeline:
        return self.training.timeline

    def edit_timeline(self) -> Timeline:
        """The timeline to change (pause, resume, cancel, policies); reads use `timeline`."""
        return self.work.kept.edit(self, self.training)

    # -- names ---------------------------------------------------------------------------------------

    @property
    def fine_tuned_model(self) -> str:
        if self.azure:
            return azure_model_name(self.snapshot, self.id, self.suffix)
        return f"ft:{self.snapshot}:{self.model_slug}:{self.suffix or ''}:{token(8, self.key, 'model')}"

    def checkpoint_model(self, step: int, total_steps: int | None = None) -> str:
        if step == (self.curve.total_steps if total_steps is None else total_steps):
            return self.fine_tuned_model
        if self.azure:
            return f"{self.fine_tuned_model}:ckpt-step-{step}"
        ckpt = token(8, self.key, "checkpoint-model")
        return f"ft:{self.snapshot}:{self.model_slug}:{self.suffix or ''}:{ckpt}:ckpt-step-{step}"

    def _checkpoint_id(self, step: int) -> str:
        if self.azure:
            return "ftchkpt-" + hex_token(self.key, "checkpoint", step)
        return "ftckpt_" + token(24, self.key, "checkpoint", step)

    def checkpoint_steps(self) -> list[int]:
        """The ends of the last three epochs, highest first."""
        return checkpoint_steps(self.curve.steps_per_epoch, self.resolved.n_epochs)

    # -- state at a time -----------------------------------------------------------------------------

    def status(self, now: float) -> str:
        return self.timeline_at(now).status(now)

    def validated(self, now: float) -> bool:
        """Whether validation has passed by `now` (hyperparameters show their resolved values from then)."""
        if self.provisional(now) or self.plan.outcome is not None:
            return False
        return any(s.phase != "validating_files" and s.start <= now for s in self.timeline.segments)

    def hyperparameters(self, now: float) -> dict[str, Any]:
        values = self.resolved.values if self.validated(now) else self.spec.requested()
        return dict(values)

    def to_dict(self, now: float, *, stale: bool = False) -> dict[str, Any]:
        status = self.status(now)
        terminal = self.timeline_at(now).terminal
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
        return self.timeline_at(now).visible_count(now)

    def events_page(self, now: float, *, limit: int, after: str | None) -> Page[Event]:
        """Newest first; `after` an event id gives the events older than it. Costs O(limit)."""
        timeline, ids = self.timeline_at(now), self.ids
        total = timeline.visible_count(now)
        if after is None:
            start = total - 1
        else:
            index = ids.decode(after)
            if index is None or index >= total:
                return Page([], False)
            start = index - 1
        stop = max(-1, start - limit)
        events: list[Event] = []
        curve: Curve | None = None  # read once, and only for step events (a provisional page has none)
        for index, kind, block, offset in timeline.located(start, stop, now):
            if curve is None and kind == "steps":
                curve = self.curve
            events.append(self._event(ids, curve, index, kind, block, offset))
        return Page(events, stop >= 0)

    def event_at(self, index: int, now: float) -> Event:
        found = self.timeline_at(now).locate(index, now)
        assert found is not None, f"event {index} is not visible"
        return self._event(self.ids, None, index, *found)

    def _event(
        self,
        ids: EventIds,
        curve: Curve | None,
        index: int,
        kind: str,
        block: Segment | Terminal,
        offset: int,
    ) -> Event:
        self.work.events_built += 1
        event_id = ids.encode(index)
        if kind == "notes":
            note: Note = block.notes[offset]
            at = block.start if isinstance(block, Segment) else block.at
            return Event(event_id, int(at), note.level, note.message, "message", dict(note.data))
        assert isinstance(block, Segment)
        step = block.k_lo + offset + 1
        curve = self.curve if curve is None else curve
        data = curve.metrics(step)
        return Event(event_id, int(block.step_time(step)), "info", curve.message(data), "metrics", data)

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
                    id=self._checkpoint_id(step),
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
    def estimated_cost(self) -> float | None:
        """Dollars at the model's training price, as `emulator validate` estimates them (None: not
        priced per token)."""
        return training_cost(self.snapshot, self.trained_tokens)

    def is_finished(self, now: float) -> bool:
        return self.status(now) in TERMINAL
