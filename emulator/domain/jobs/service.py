"""Fine-tuning job actions: create, retrieve, list, cancel, pause, resume, events, checkpoints, and the
control-plane helpers that drive jobs (run until a status, run everything, choose a progression policy)."""

from __future__ import annotations

from typing import Any

from ...errors import APIError, ConflictError, InvalidRequestError, NotFoundError
from ...ids import derive_seed
from ...params import validate
from ..collection import Page
from ..files import FileRecord
from ..inference.serving import SharedModels
from ..models import find_model
from .catalog import lookup_base, model_kind
from .hyperparameters import parse_method, resolve, steps_per_epoch
from .job import TERMINAL, Job
from .metrics import Curve
from .plan import Plan, build_timeline, cancel, pace, pause, resume
from .records import Checkpoint, Event, JobError, Note
from .request import CREATE_SCHEMA, metadata_filter
from .reward import RewardCurve
from .store import JobStore, check_policy
from .timeline import INF
from .validation import MAX_NOTED, analyze, moderation_message

__all__ = [
    "cancel_job",
    "create_job",
    "get_job",
    "list_checkpoints",
    "list_events",
    "list_jobs",
    "pause_job",
    "resume_job",
    "retrieve_job",
    "run_all",
    "run_until",
    "set_progression",
]

RUN_TARGETS = ("queued", "running", "succeeded", "failed", "cancelled", "completed")


def _store(tenant: Any) -> JobStore:
    store: JobStore = tenant.jobs
    return store


# -- create ------------------------------------------------------------------------------------------


def create_job(
    em: Any,
    tenant: Any,
    body: dict[str, Any],
    now: float | None = None,
    shared: SharedModels | None = None,
    *,
    job_id: str | None = None,
) -> Job:
    """Check the request (400s for request-level problems), analyse the files and plan the whole life.
    `shared` finds fine-tuned models other organizations granted to the caller's project; `job_id` is
    given only for jobs lenient mode materializes under an id the client chose."""
    request = validate(body, CREATE_SCHEMA)
    now = em.now() if now is None else now
    store = _store(tenant)
    spec = parse_method(request.get("method"), request.get("hyperparameters"))
    model, snapshot = _target(tenant, request["model"], shared)
    kind = model_kind(snapshot)
    if (
        kind == "reasoning"
        and spec.type != "reinforcement"
        or spec.type == "reinforcement"
        and kind != "reasoning"
    ):
        raise InvalidRequestError(
            f"Model {snapshot} does not support the '{spec.type}' fine-tuning method.", param="method.type"
        )
    if spec.type == "dpo" and kind == "completion":
        raise InvalidRequestError(
            f"Model {snapshot} does not support the 'dpo' fine-tuning method.", param="method.type"
        )
    training = _file(tenant, request["training_file"], "training_file", now)
    validation = (
        _file(tenant, request["validation_file"], "validation_file", now)
        if request.get("validation_file")
        else None
    )

    requested_epochs = spec.requested()["n_epochs"]
    report = analyze(training.blob.lines(), snapshot, method=spec.type, n_epochs=requested_epochs)
    outcome = report.job_error(training.id)
    data_bytes = training.bytes
    if validation is not None:
        valid_report = analyze(validation.blob.lines(), snapshot, method=spec.type, token_limit=None)
        data_bytes += validation.bytes
        if outcome is None and (valid_report.format_mismatch or valid_report.problems):
            outcome = valid_report.job_error(validation.id, role="validation")

    active = sum(1 for job in store.jobs if store.refresh(job, now).status(now) not in TERMINAL)
    script = em.script_for_job(tenant, body, active)  # may raise the scenario's job-cap 429
    job_id = job_id or tenant.ids.new("ftjob-")
    seed = request.get("seed")
    if seed is None:
        seed = tenant.ids.rng("ftjob-seed", job_id).randrange(2**31)
    key = derive_seed(tenant.ids.seed, tenant.organization.id, job_id)
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

    resolved = resolve(spec, report.n_examples, snapshot)
    per_epoch = steps_per_epoch(report.n_examples, resolved.batch_size)
    total = per_epoch * resolved.n_epochs
    rng = tenant.ids.rng("ftjob-plan", job_id)
    tokens_per_step = report.billable_tokens / max(1, report.n_examples) * resolved.batch_size
    validating, queued, requeue, sps = pace(
        rng,
        n_examples=report.n_examples,
        data_bytes=data_bytes,
        tokens_per_step=tokens_per_step,
        snapshot=snapshot,
        script=script,
    )
    # Same user seed, data and parameters: the same loss curve (as OpenAI promises for `seed`).
    curve_key = derive_seed("curve", seed, training.blob.md5, snapshot, sorted(resolved.values.items()))
    curve = (
        RewardCurve(
            curve_key, total, per_epoch, validation is not None, int(resolved.values["eval_interval"])
        )
        if spec.type == "reinforcement"
        else Curve(curve_key, total, per_epoch, validation is not None)
    )
    job = Job(
        id=job_id,
        created_at=int(now),
        organization_id=tenant.organization.id,
        model=model,
        snapshot=snapshot,
        training_file=training.id,
        validation_file=validation.id if validation is not None else None,
        spec=spec,
        resolved=resolved,
        suffix=request.get("suffix"),
        seed=seed,
        integrations=request.get("integrations"),
        metadata=request.get("metadata"),
        key=key,
        model_slug=tenant.organization.model_slug,
        billable_tokens=report.billable_tokens,
        plan=None,  # type: ignore[arg-type]  # set below: the notes need the job's names
        timeline=None,  # type: ignore[arg-type]
        curve=curve,
        work=store.work,
        stale_reads=script.stale_reads if script is not None else 0,
        cancel_seconds=script.cancel_seconds if script is not None else 0.0,
    )
    files_note = f"Validating training file: {training.id}"
    if validation is not None:
        files_note += f" and validation file: {validation.id}"
    job.plan = Plan(
        created=now,
        validating=validating,
        queued=queued,
        requeue=requeue,
        sps=sps,
        finalize=15.0,
        total_steps=total,
        created_notes=(Note(f"Created fine-tuning job: {job_id}"), Note(files_note)),
        validation_notes=_truncation_notes(report, snapshot),
        success_notes=_success_notes(job),
        outcome=outcome,
        failure=script.failure if script is not None else None,
        warnings=script.warnings if script is not None else (),
    )
    job.timeline = build_timeline(job.plan)
    return store.add(job, now)


def _target(tenant: Any, model_id: str, shared: SharedModels | None = None) -> tuple[str, str]:
    """(the model the job reports, the base snapshot) or model_not_available."""
    if model_id.startswith("ft:"):
        record = find_model(tenant, model_id)
        if record is None and shared is not None:
            granted = shared(model_id)
            record = granted[1] if granted is not None else None
        if record is not None and lookup_base(record.base) is not None:
            return model_id, record.base
    else:
        base = lookup_base(model_id)
        if base is not None:
            return base.id, base.id
    raise InvalidRequestError(
        f"Model {model_id} is not available for fine-tuning or does not exist.", code="model_not_available"
    )


def _file(tenant: Any, file_id: str, param: str, now: float) -> FileRecord:
    record: FileRecord | None = tenant.files.get(file_id)
    if record is None or record.expired(now):
        raise InvalidRequestError(f"invalid {param}: {file_id}", param=param)
    if record.purpose != "fine-tune":
        raise InvalidRequestError(
            f"invalid {param}: {file_id}. The file has purpose '{record.purpose}'; fine-tuning needs a file "
            "uploaded with purpose 'fine-tune'.",
            param=param,
        )
    return record


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


def _success_notes(job: Job) -> tuple[Note, ...]:
    steps = sorted(s for s in job.checkpoint_steps() if s != job.curve.total_steps)
    notes = [
        Note(f"Checkpoint created at step {s} with Snapshot ID: {job.checkpoint_model(s)}") for s in steps
    ]
    notes.append(Note(f"New fine-tuned model created: {job.fine_tuned_model}"))
    notes.append(Note("The job has successfully completed"))
    return tuple(notes)


# -- reads -------------------------------------------------------------------------------------------


def get_job(em: Any, tenant: Any, job_id: str, now: float | None = None) -> Job:
    job = _store(tenant).jobs.get(job_id)
    if job is None:
        raise NotFoundError(f"No such fine-tuning job: {job_id}", param="fine_tuning_job_id")
    return _store(tenant).refresh(job, em.now() if now is None else now)


def retrieve_job(em: Any, tenant: Any, job_id: str, now: float | None = None) -> dict[str, Any]:
    """GET a job: step-per-read jobs first move to their next status; scripted stale reads hide the model."""
    now = em.now() if now is None else now
    job, store = get_job(em, tenant, job_id, now), _store(tenant)
    if store.policy_of(job) == "step-per-read":
        milestone = job.timeline.next_milestone(now)
        if milestone is not None and milestone < INF:
            job.timeline.compress(now, milestone)
            store.touch(job)
            store.refresh(job, now)
    stale = False
    if job.stale_reads > 0 and job.status(now) == "succeeded":
        job.stale_reads -= 1
        stale = True
    return job.to_dict(now, stale=stale)


def list_jobs(
    em: Any, tenant: Any, *, limit: int, after: str | None, query: dict[str, str], now: float | None = None
) -> dict[str, Any]:
    store, now = _store(tenant), em.now() if now is None else now
    no_metadata, pairs = metadata_filter(query)

    def wanted(job: Job) -> bool:
        if no_metadata:
            return not job.metadata
        return all((job.metadata or {}).get(k) == v for k, v in pairs.items())

    page: Page[Job] = store.jobs.page(
        limit=limit, after=after, where=wanted if no_metadata or pairs else None
    )
    return page.to_dict(lambda job: store.refresh(job, now).to_dict(now))


def list_events(
    em: Any, tenant: Any, job_id: str, *, limit: int, after: str | None, now: float | None = None
) -> Page[Event]:
    now = em.now() if now is None else now
    return get_job(em, tenant, job_id, now).events_page(now, limit=limit, after=after)


def list_checkpoints(
    em: Any, tenant: Any, job_id: str, *, limit: int, after: str | None, now: float | None = None
) -> Page[Checkpoint]:
    now = em.now() if now is None else now
    return get_job(em, tenant, job_id, now).checkpoints_page(now, limit=limit, after=after)


# -- transitions -------------------------------------------------------------------------------------


def cancel_job(em: Any, tenant: Any, job_id: str, now: float | None = None) -> Job:
    """Cancel from validating_files, queued, running or paused; a scripted slow cancel lands later."""
    now = em.now() if now is None else now
    job = get_job(em, tenant, job_id, now)
    status = job.status(now)
    if status in TERMINAL:
        raise InvalidRequestError(
            f"Cannot cancel job {job_id}: it has already "
            f"{'been cancelled' if status == 'cancelled' else status}."
        )
    if job.cancel_requested:
        return job
    if cancel(job.timeline, now + job.cancel_seconds):
        job.cancel_requested = True
        _store(tenant).touch(job)
    return _store(tenant).refresh(job, now)


def pause_job(em: Any, tenant: Any, job_id: str, now: float | None = None) -> Job:
    now = em.now() if now is None else now
    job = get_job(em, tenant, job_id, now)
    status = job.status(now)
    _check_not_cancelling(job, "pause", status)
    if status != "running":
        raise InvalidRequestError(
            f"Cannot pause job {job_id}: only running jobs can be paused (status: {status})."
        )
    pause(job.timeline, now, job.plan)
    _store(tenant).touch(job)
    return job


def resume_job(em: Any, tenant: Any, job_id: str, now: float | None = None) -> Job:
    now = em.now() if now is None else now
    job = get_job(em, tenant, job_id, now)
    status = job.status(now)
    _check_not_cancelling(job, "resume", status)
    if status != "paused":
        raise InvalidRequestError(
            f"Cannot resume job {job_id}: only paused jobs can be resumed (status: {status})."
        )
    resume(job.timeline, now, job.plan)
    _store(tenant).touch(job)
    return job


def _check_not_cancelling(job: Job, verb: str, status: str) -> None:
    if job.cancel_requested and status not in TERMINAL:
        raise InvalidRequestError(f"Cannot {verb} job {job.id}: it is being cancelled.")


# -- control plane -----------------------------------------------------------------------------------


def run_until(em: Any, tenant: Any, job_id: str, status: str = "completed", now: float | None = None) -> Job:
    """Fast-forward one job (its own timeline, not the clock) until it reaches `status`.

    `completed` means any of succeeded/failed/cancelled. Raises ConflictError when the job cannot get
    there (it ended otherwise, it is paused, or it is stuck in the queue).
    """
    if status not in RUN_TARGETS:
        raise InvalidRequestError(
            f"Invalid value: '{status}'. Supported values are: "
            + ", ".join(f"'{s}'" for s in RUN_TARGETS)
            + ".",
            param="until",
            code="invalid_value",
        )
    now = em.now() if now is None else now
    job, store = get_job(em, tenant, job_id, now), _store(tenant)
    for _ in range(len(job.timeline.segments) + 2):
        current = job.status(now)
        if current == status or status == "completed" and current in TERMINAL:
            return store.refresh(job, now)
        if current in TERMINAL:
            raise ConflictError(f"Job {job_id} has {current}; it cannot reach '{status}'.")
        milestone = job.timeline.next_milestone(now)
        if milestone is None or milestone == INF:
            raise ConflictError(
                f"Job {job_id} is {current} and will not move by itself; it cannot reach '{status}'."
            )
        job.timeline.compress(now, milestone)
        store.touch(job)
    return store.refresh(job, now)


def run_all(em: Any, tenants: list[Any], now: float | None = None) -> list[dict[str, Any]]:
    """Run every unfinished job of `tenants` to completion; jobs that cannot finish are reported as is."""
    now = em.now() if now is None else now
    out = []
    for tenant in tenants:
        for job in list(_store(tenant).jobs):
            try:
                run_until(em, tenant, job.id, now=now)
                completed = True
            except APIError:
                completed = False
            out.append({"id": job.id, "status": job.status(now), "completed": completed})
    return out


def set_progression(
    em: Any, tenant: Any, policy: str | None, job_id: str | None = None, now: float | None = None
) -> None:
    """Choose how a job (or, without `job_id`, all of the tenant's jobs by default) progresses."""
    if policy is not None:
        check_policy(policy)
    store = _store(tenant)
    now = em.now() if now is None else now
    job = get_job(em, tenant, job_id, now) if job_id is not None else None
    store.set_policy(policy, now, job)
