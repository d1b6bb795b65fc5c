"""A tenant's jobs: the table, the progression policies, and what success leaves behind (the result file,
the fine-tuned model, checkpoint models), brought up to date lazily by `settle`.

Progression policies (per job, else per tenant, else `Settings.job_progression`):

* `time`: the timeline plays on the emulator clock.
* `manual`: the job only moves when the clock is *advanced* (or a control call runs it); on a real clock
  the wall-clock drift since the job was last seen is added to its future, so it stands still.
* `step-per-read`: manual, and every retrieve of the job first fast-forwards it to its next status, so an
  unmodified polling loop sees validating_files -> queued -> running -> succeeded at once.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from typing import Any

from ...errors import InvalidRequestError
from ..collection import Collection
from ..models import ModelRecord
from .job import Job, Work

__all__ = ["POLICIES", "JobStore", "check_policy"]

POLICIES = ("time", "manual", "step-per-read")


def check_policy(policy: Any, param: str = "policy") -> str:
    if policy not in POLICIES:
        listed = ", ".join(f"'{p}'" for p in POLICIES[:-1]) + f", and '{POLICIES[-1]}'"
        raise InvalidRequestError(
            f"Invalid value: '{policy}'. Supported values are: {listed}.", param=param, code="invalid_value"
        )
    return str(policy)


def _drift(clock: Any, now: float) -> float:
    """How far the clock had moved by itself at `now` (wall time x speed), leaving out explicit advances.

    A real clock's `now()` is wall-derived time plus `_offset`, the sum of its advances."""
    if getattr(clock, "mode", "virtual") == "virtual":
        return 0.0
    return now - float(getattr(clock, "_offset", 0.0))


class JobStore:
    def __init__(self, tenant: Any) -> None:
        self.tenant = tenant
        self.emulator: Any = None  # bound by the Emulator that owns the tenant
        self.jobs: Collection[Job] = Collection()
        self.policy: str | None = None
        self.checkpoint_models: dict[str, ModelRecord] = {}
        self.work = Work()
        self._due: list[tuple[float, int, str, int]] = []  # (success time, tiebreak, job id, job version)
        self._seq = itertools.count()
        self._lock = threading.RLock()
        # Told of every timeline edit (after it is made), e.g. so webhooks know when a job will finish.
        self.observers: list[Callable[[Job], None]] = []

    def bind(self, emulator: Any) -> None:
        self.emulator = emulator

    # -- policies ------------------------------------------------------------------------------------

    def default_policy(self) -> str:
        settings = getattr(self.emulator, "settings", None)
        return self.policy or str(getattr(settings, "job_progression", "time"))

    def policy_of(self, job: Job) -> str:
        return job.policy or self.default_policy()

    def set_policy(self, policy: str | None, now: float, job: Job | None = None) -> None:
        """Switch a job (or the tenant's default); the time already spent under the old policy counts."""
        with self._lock:
            for each in [job] if job is not None else list(self.jobs):
                self.sync(each, now)
            if job is not None:
                job.policy = policy
                self.sync(job, now)
            else:
                self.policy = policy
                for each in self.jobs:
                    self.sync(each, now)

    # -- keeping jobs current ------------------------------------------------------------------------

    def add(self, job: Job, now: float) -> Job:
        with self._lock:
            self.jobs.add(job)
            job.work = self.work
            self.sync(job, now)
            self.touch(job)
            return job

    def touch(self, job: Job) -> None:
        """Record a timeline edit: stale due-entries are dropped, the new success time is queued."""
        job.version += 1
        terminal = job.timeline.terminal
        if terminal is not None and terminal.status == "succeeded" and not job.finalized:
            heapq.heappush(self._due, (terminal.at, next(self._seq), job.id, job.version))
        for observe in self.observers:
            observe(job)

    def sync(self, job: Job, now: float) -> None:
        """Apply the job's progression policy up to `now` (only manual jobs on a real clock change)."""
        clock = getattr(self.emulator, "clock", None)
        if self.policy_of(job) == "time" or clock is None:
            job.drift_mark = None
            return
        drift = _drift(clock, now)
        if job.drift_mark is None or job.drift_clock != id(clock):
            job.drift_mark, job.drift_clock, job.synced_at = drift, id(clock), now
            return
        if now < job.synced_at:  # an older reading (a concurrent request): nothing new to account for
            return
        held = drift - job.drift_mark
        if held > 0 and not job.timeline.finished(job.synced_at):
            job.timeline.shift(job.synced_at, held)
            self.touch(job)
        job.drift_mark, job.synced_at = drift, now

    def refresh(self, job: Job, now: float) -> Job:
        """Bring one job up to date before it is shown."""
        with self._lock:
            self.sync(job, now)
            if not job.finalized and job.status(now) == "succeeded":
                self._finalize(job)
            return job

    def settle(self, now: float) -> None:
        """Register what succeeded by `now`; cheap when nothing is due (a heap peek)."""
        if not self._due or self._due[0][0] > now:
            return
        with self._lock:
            while self._due and self._due[0][0] <= now:
                _, _, job_id, version = heapq.heappop(self._due)
                job = self.jobs.get(job_id)
                if job is None or job.version != version or job.finalized:
                    continue
                self.refresh(job, now)

    def _finalize(self, job: Job) -> None:
        from ..blobs import Blob
        from ..files import add_file
        from .results import results_file

        tenant = self.tenant
        finished = job.timeline.terminal.at if job.timeline.terminal else 0.0
        data = results_file(job.curve)
        blob = Blob(len(data.content), data.md5, data=data.content)
        record = add_file(tenant, finished, filename=data.filename, purpose="fine-tune-results", blob=blob)
        job.result_file_id = record.id
        owner = tenant.organization.name
        tenant.models.add(ModelRecord(job.fine_tuned_model, int(finished), owner, job.snapshot, job.id))
        for step in job.checkpoint_steps():
            name = job.checkpoint_model(step)
            if name != job.fine_tuned_model:
                self.checkpoint_models[name] = ModelRecord(name, int(finished), owner, job.snapshot, job.id)
        job.finalized = True

    def find_checkpoint_model(self, model_id: str) -> ModelRecord | None:
        return self.checkpoint_models.get(model_id)
