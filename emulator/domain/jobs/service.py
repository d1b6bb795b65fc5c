"""Fine-tuning job actions: create, retrieve, list, cancel, pause, resume, events, checkpoints, and the
control-plane helpers that drive jobs (run until a status, run everything, choose a progression policy)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any, BinaryIO

from ...clock import advance_to
from ...errors import APIError, ConflictError, InvalidRequestError, NotFoundError
from ...ids import HEX, derive_seed
from ...params import validate
from ..azure_names import is_fine_tuned
from ..blobs import Blob
from ..collection import Page
from ..files import FileRecord
from ..inference.serving import SharedModels
from ..lifecycle import check_training, fine_tuning_base
from ..models import find_model
from ..tuning import not_available
from .catalog import lookup_base, unsupported_method
from .hyperparameters import parse_method
from .job import TERMINAL, Job, Pending
from .notes import CreatedNotes
from .plan import cancel, pause, resume
from .polling import note_read
from .recipe import Inputs, not_before, recipe
from .records import Checkpoint, Event
from .report import FileAnalysis
from .request import CREATE_SCHEMA, metadata_filter
from .store import JobStore, check_policy
from .timeline import INF, Segment, Timeline
from .training_type import check_training_type
from .validation import analyze

__all__ = [
    "cancel_job",
    "create_job",
    "get_job",
    "list_checkpoints",
    "list_events",
    "list_jobs",
    "pause_job",
    "refusal",
    "resume_job",
    "retrieve_job",
    "run_all",
    "run_until",
    "set_progression",
]

YIELD_BYTES = 4096  # bytes analysed between two hand-overs of the interpreter lock (well under 1 ms of work)
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
    """Check the request (400s for request-level problems) and store the job in validating_files; its
    files are analysed off the event loop and its life planned from that (see Pending). `shared` finds
    fine-tuned models other organizations granted to the caller's project; `job_id` is given only for
    jobs lenient mode materializes under an id the client chose."""
    azure = tenant.dialect == "azure"
    training_type = body.get("trainingType") if azure else None
    if azure:  # Azure's own field; the rest of the request is OpenAI's
        body = {k: v for k, v in body.items() if k != "trainingType"}
    request = validate(body, CREATE_SCHEMA)
    now = em.now() if now is None else now
    store = _store(tenant)
    spec = parse_method(request.get("method"), request.get("hyperparameters"))
    created_here = job_id is None  # a job lenient mode materializes existed already: no calendar check
    model, snapshot = _target(em, tenant, request["model"], now, shared, on_calendar=created_here)
    if azure:
        check_training_type(training_type, snapshot)
    refused = unsupported_method(snapshot, spec.type)  # the catalog's methods: o4-mini takes only RFT
    if refused is not None:
        raise InvalidRequestError(refused, param="method.type")
    if created_here and not azure:  # OpenAI's wind-down and shutdown dates; Azure keeps fine-tuning
        check_training(em, tenant, request["model"], snapshot, now)
    training = _file(tenant, request["training_file"], "training_file", now)
    validation = (
        _file(tenant, request["validation_file"], "validation_file", now)
        if request.get("validation_file")
        else None
    )
    script = em.script_for_job(tenant, body, store.active(now))  # may raise the scenario's job-cap 429

    # Nothing below raises a client error: the job is created from here on.
    job_id = job_id or (tenant.ids.new("ftjob-", 32, HEX) if azure else tenant.ids.new("ftjob-"))
    seed = request.get("seed")
    if seed is None:
        seed = tenant.ids.rng("ftjob-seed", job_id).randrange(2**31)
    inputs = Inputs(
        training=training,
        validation=validation,
        data_bytes=training.bytes + (validation.bytes if validation is not None else 0),
        script=script,
        ids=tenant.ids,
        created=now,
    )
    created_notes = CreatedNotes(job_id, training.id, validation.id if validation is not None else None)
    job = Job(
        id=job_id,
        created_at=int(now),
        organization_id=tenant.organization.id,
        model=model,
        snapshot=snapshot,
        training_file=training.id,
        validation_file=validation.id if validation is not None else None,
        spec=spec,
        suffix=request.get("suffix"),
        seed=seed,
        integrations=request.get("integrations"),
        metadata=request.get("metadata"),
        key=derive_seed(tenant.ids.seed, tenant.organization.id, job_id),
        model_slug=tenant.organization.model_slug,
        azure=azure,
        work=store.work,
        stale_reads=script.stale_reads if script is not None else 0,
        cancel_seconds=script.cancel_seconds if script is not None else 0.0,
    )
    # What the job analyses, and what its model learns, is the files' content now: hold their bytes.
    blobs = [training.blob] + ([validation.blob] if validation is not None else [])
    for blob in blobs:
        blob.hold()
    stop = store.stopping  # one per store: a reset stops all of its analyses at once
    n_epochs = spec.requested()["n_epochs"]
    try:  # jobs on the same files and options share one analysis while it runs (a pure function of them)
        analysis = store.analyses.join(
            (*blobs, snapshot, spec.type, n_epochs),
            lambda: em.workers.submit(_analyze_files, blobs, stop, snapshot, spec.type, n_epochs),
            held=blobs[1] if validation is not None else None,  # the training bytes stay held by the job
        )
    except BaseException:
        for blob in blobs:
            blob.release()
        raise
    job.training_blob = training.blob
    first = Segment("validating_files", now, INF, created_notes)
    job.pending = Pending(
        analysis,
        lambda job, reports: recipe(job, inputs, reports),
        Timeline([first], None),
        not_before(inputs),
    )
    tenant.history.job_created(now)
    return store.add(job, now)


def _analyze_files(
    blobs: list[Blob], stop: threading.Event, snapshot: str, method: str, n_epochs: int | str
) -> tuple[FileAnalysis, FileAnalysis | None]:
    """Runs on a worker thread: validate, count and screen the training (and validation) file."""
    with blobs[0].open() as handle:
        report = analyze(_lines(handle, stop), snapshot, method=method, n_epochs=n_epochs)
    valid = None
    if len(blobs) > 1:
        with blobs[1].open() as handle:
            valid = analyze(_lines(handle, stop), snapshot, method=method, token_limit=None)
    return report, valid


class Abandoned(Exception):
    """The job was forgotten (a reset) while its files were being analysed."""


def _lines(handle: BinaryIO, stop: threading.Event) -> Iterator[bytes]:
    """The file's lines, with the interpreter lock handed back every few kilobytes (every line, for long
    lines): the event loop thread then waits microseconds for it, not a 5 ms switch interval per step of
    every request, and a small file is not slowed by a hand-over per line."""
    since = 0
    for line in handle:
        if stop.is_set():
            raise Abandoned
        since += len(line)
        if since >= YIELD_BYTES:
            since = 0
            time.sleep(0)  # not a delay: lets a waiting thread take the interpreter lock now
        yield line


def _target(
    em: Any, tenant: Any, model_id: str, now: float, shared: SharedModels | None, *, on_calendar: bool
) -> tuple[str, str]:
    """(the model the job reports, the base snapshot) or model_not_available. `on_calendar`: an alias
    skips snapshots the lifecycle calendar has shut down (see `fine_tuning_base`)."""
    if is_fine_tuned(model_id):
        record = find_model(tenant, model_id)
        if record is None and shared is not None:
            granted = shared(model_id)
            record = granted[1] if granted is not None else None
        if record is not None and lookup_base(record.base) is not None:
            return model_id, record.base
    else:
        base = fine_tuning_base(em, tenant, model_id, now) if on_calendar else lookup_base(model_id)
        if base is not None:
            return base.id, base.id
    raise InvalidRequestError(not_available(model_id), code="model_not_available")


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
    if record.status == "error":  # an Azure file whose processing found it is not JSON Lines
        raise InvalidRequestError(
            f"invalid {param}: {file_id}. The file failed processing: {record.status_details}", param=param
        )
    return record


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
    polled = note_read(em, job, now)  # an auto clock may move for a client polling this job
    if polled != now:
        now = polled
        store.refresh(job, now)
        tenant.settle(now)
    if store.policy_of(job) == "step-per-read":
        milestone = job.timeline.next_milestone(now)
        if milestone is not None and milestone < INF:
            job.edit_timeline().compress(now, milestone)
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


def refusal(job: Job, action: str, now: float) -> str | None:
    """Why the API refuses `action` (cancel, pause or resume) on `job` at `now`, in its own words; None
    when it allows it. The one statement of the rules: the endpoints raise it, the dashboard disables on
    it."""
    status = job.status(now)
    if action == "cancel":
        if status in TERMINAL:
            return (
                f"Cannot cancel job {job.id}: it has already "
                f"{'been cancelled' if status == 'cancelled' else status}."
            )
        return None
    if job.cancel_requested and status not in TERMINAL:
        return f"Cannot {action} job {job.id}: it is being cancelled."
    needed = {"pause": "running", "resume": "paused"}[action]
    if status != needed:
        return f"Cannot {action} job {job.id}: only {needed} jobs can be {action}d (status: {status})."
    return None


def _check(job: Job, action: str, now: float) -> None:
    message = refusal(job, action, now)
    if message is not None:
        raise InvalidRequestError(message)


def cancel_job(em: Any, tenant: Any, job_id: str, now: float | None = None) -> Job:
    """Cancel from validating_files, queued, running or paused; a scripted slow cancel lands later."""
    now = em.now() if now is None else now
    job = get_job(em, tenant, job_id, now)
    _check(job, "cancel", now)
    if job.cancel_requested:
        return job
    if cancel(job.edit_timeline(), now + job.cancel_seconds):
        job.cancel_requested = True
        _store(tenant).touch(job)
    return _store(tenant).refresh(job, now)


def pause_job(em: Any, tenant: Any, job_id: str, now: float | None = None) -> Job:
    now = em.now() if now is None else now
    job = get_job(em, tenant, job_id, now)
    _check(job, "pause", now)
    pause(job.edit_timeline(), now, job.plan)
    _store(tenant).touch(job)
    return job


def resume_job(em: Any, tenant: Any, job_id: str, now: float | None = None) -> Job:
    now = em.now() if now is None else now
    job = get_job(em, tenant, job_id, now)
    _check(job, "resume", now)
    resume(job.edit_timeline(), now, job.plan)
    _store(tenant).touch(job)
    return job


# -- control plane -----------------------------------------------------------------------------------


def run_until(
    em: Any, tenant: Any, job_id: str, status: str = "completed", now: float | None = None, *, move_clock: bool = True
) -> Job:
    """Move the emulator clock along one job's timeline until the job reaches `status`, so its
    timestamps stay plausible (created_at < finished_at); other jobs live through the same time.
    With `move_clock=False` the job's own timeline is compressed instead and the clock stays put (how
    lenient mode makes a job that is already running).

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
        if not move_clock:
            job.edit_timeline().compress(now, milestone)
            store.touch(job)
            continue
        now = advance_to(em.clock, milestone)
        store.refresh(job, now)
        late = job.timeline.next_milestone(now)
        if job.status(now) == current and late is not None and late < INF:
            # a manual job on a real clock holds the wall time that passed meanwhile: catch up
            job.edit_timeline().compress(now, late)
            store.touch(job)
    return store.refresh(job, now)


def run_all(em: Any, tenants: list[Any], now: float | None = None) -> list[dict[str, Any]]:
    """Run every unfinished job of `tenants` to completion (the clock moves to the last one's end); jobs
    that cannot finish are reported as is."""
    out = []
    for tenant in tenants:
        for job in list(_store(tenant).jobs):
            if job.ended:  # seen in a terminal status, which it never leaves: nothing to run or refresh
                out.append({"id": job.id, "status": job.status(em.now()), "completed": True})
                continue
            try:
                run_until(em, tenant, job.id)
                completed = True
            except APIError:
                completed = False
            out.append({"id": job.id, "status": job.status(em.now()), "completed": completed})
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
