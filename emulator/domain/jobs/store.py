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
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ...errors import InvalidRequestError
from ..collection import Collection
from ..models import ModelRecord
from .analyses import Analyses, Analysis
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
    if getattr(clock, "mode", "virtual") != "real":
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
        # (terminal time, tiebreak, job id, job version) of every job not yet known to have ended: `settle`
        # pops what is due, so the active jobs are counted without a scan (`active`).
        self._due: list[tuple[float, int, str, int]] = []
        self._ended = 0  # jobs seen in a terminal status (they never leave it)
        self._pending: dict[str, Job] = {}  # jobs whose files are still being analysed
        self._deadlines: list[tuple[float, int, str]] = []  # heap of (not_before, arrival, job id)
        self._ready: deque[Analysis] = deque()  # analyses that finished, with the jobs they list
        self.analyses = Analyses(self._ready.append)  # appended from the worker thread
        self._arrivals = itertools.count()
        self.stopping = threading.Event()  # set when the tenant is forgotten: its analyses end early
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

    def moves_on_read(self, job_id: str) -> bool:
        """Whether a retrieve of `job_id` changes its timeline (the step-per-read policy)."""
        job = self.jobs.get(job_id)
        return job is not None and self.policy_of(job) == "step-per-read"

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
            if job.pending is None:
                self.touch(job)
            else:
                self._await(job)
            return job

    def _await(self, job: Job) -> None:
        """Track a job whose analysis runs: by its deadline (`not_before`) and on its analysis's list,
        which the ready queue receives once the analysis ends, so no request scans the pending jobs."""
        pending = job.pending
        assert pending is not None
        seq = next(self._arrivals)
        self._pending[job.id] = job
        pending.on_trained = self._trained
        heapq.heappush(self._deadlines, (pending.not_before, seq, job.id))
        if len(self._deadlines) > 64 + 2 * len(self._pending):  # drop the entries of planned jobs
            self._deadlines = [entry for entry in self._deadlines if entry[2] in self._pending]
            heapq.heapify(self._deadlines)
        pending.analysis.waiting.append((seq, job.id))
        if pending.future.done():  # it may have ended before the job was listed: queued again
            self._ready.append(pending.analysis)

    def _trained(self, job: Job) -> None:
        with self._lock:
            self._pending.pop(job.id, None)
            self.touch(job)

    def _still_pending(self, job_id: str) -> Job | None:
        job = self._pending.get(job_id)
        return job if job is not None and job.pending is not None else None

    def waiting(self, now: float | None = None, job_id: str | None = None) -> list[Future[Any]]:
        """The file analyses a read at `now` (None: a change to the jobs) must wait for, off the loop:
        for a read, only jobs whose deadline has come (a heap prefix, not a scan). Each once, though
        many jobs may share one."""
        with self._lock:
            if job_id is not None:
                jobs = [self._pending.get(job_id)]
            elif now is None:
                jobs = list(self._pending.values())
            else:
                jobs = [self._still_pending(entry[2]) for entry in _prefix(self._deadlines, now)]
        futures = (job.waiting_on(now) for job in jobs if job is not None)
        return list({id(f): f for f in futures if f is not None}.values())

    def plan_ready(self) -> None:
        """Plan the pending jobs whose analysis has finished (never waits)."""
        if self._ready:
            with self._lock:
                self._plan([])

    def _plan(self, due: list[tuple[int, Job]]) -> None:
        """Plan the jobs whose analysis finished and those in `due`, in the order they were created (so
        the order of what planning queues does not follow the worker threads' timing)."""
        batch = list(due)
        while self._ready:
            for seq, job_id in self._ready.popleft().take():
                job = self._pending.get(job_id)
                if job is not None:
                    batch.append((seq, job))
        for _, job in sorted(batch, key=lambda entry: entry[0]):
            if job.pending is not None:
                job.training  # noqa: B018  # plans the job (queues its end, tells the observers)

    def known_until(self, now: float) -> float:
        """The latest time up to `now` by which every job's course is known: a job still being analysed
        changes nothing before its `not_before`, so events up to then can be announced in order."""
        with self._lock:
            deadlines = self._deadlines
            while deadlines:
                job = self._still_pending(deadlines[0][2])
                if job is not None and not job.pending.future.done():  # type: ignore[union-attr]
                    return min(now, deadlines[0][0])
                heapq.heappop(deadlines)  # planned, or in the ready queue
        return now

    def abandon(self) -> None:
        """Stop the analyses of pending jobs (the tenant is being forgotten): they all share `stopping`."""
        self.stopping.set()

    def touch(self, job: Job) -> None:
        """Record a timeline edit: stale due-entries are dropped, the new end time is queued."""
        job.version += 1
        terminal = job.timeline.terminal
        if terminal is not None and not job.ended:
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
        if job.drift_mark is None or job.drift_clock is not clock:
            job.drift_mark, job.drift_clock, job.synced_at = drift, clock, now
            return
        if now < job.synced_at:  # an older reading (a concurrent request): nothing new to account for
            return
        if job.provisional(now):  # nothing has moved yet; the drift held so far is applied once planned
            return
        held = drift - job.drift_mark
        if held > 0 and not job.timeline.finished(job.synced_at):
            job.edit_timeline().shift(job.synced_at, held)
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
        """Register what ended by `now` (what succeeded leaves its result file and models); cheap when
        nothing is due (a heap peek)."""
        if self._ready or (self._deadlines and self._deadlines[0][0] <= now):
            with self._lock:
                due = []
                while self._deadlines and self._deadlines[0][0] <= now:
                    _, seq, job_id = heapq.heappop(self._deadlines)
                    job = self._still_pending(job_id)
                    if job is not None:
                        due.append((seq, job))
                self._plan(due)  # a due job whose analysis still runs is waited for (handlers await it first)
        if not self._due or self._due[0][0] > now:
            return
        with self._lock:
            while self._due and self._due[0][0] <= now:
                _, _, job_id, version = heapq.heappop(self._due)
                job = self.jobs.get(job_id)
                if job is None or job.version != version or job.ended:
                    continue
                self.refresh(job, now)  # a manual job on a real clock may move its end (a new entry)
                if job.is_finished(now):
                    job.ended = True
                    self._ended += 1

    def active(self, now: float) -> int:
        """Jobs in validating_files, queued, running or paused at `now`: every job but those that ended,
        which `settle` counts as their end times come due, so this costs what is due, not a table scan."""
        self.settle(now)
        with self._lock:
            return len(self.jobs) - self._ended

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


def _prefix(heap: list[tuple[float, int, str]], bound: float) -> list[tuple[float, int, str]]:
    """The entries of a heap with a key at most `bound`, in O(their number)."""
    out, stack = [], [0]
    while stack:
        i = stack.pop()
        if i < len(heap) and heap[i][0] <= bound:
            out.append(heap[i])
            stack += (2 * i + 1, 2 * i + 2)
    return out
