"""/v1/fine_tuning/jobs: create, list, retrieve, cancel, pause, resume, events and checkpoints."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain import jobs, lenient
from ..domain.jobs.records import Checkpoint, Event
from ..domain.state import Tenant
from .common import emulator, ok, page_params, read_json, shared_models, tenant

__all__ = ["routes"]

MAX_LIMIT = 1000  # the real maxima are undocumented; limit=300 is known to work for events


async def create_job(request: Request) -> Response:
    owner, em = tenant(request), emulator(request)
    body = lenient.relax_job_body(em, await read_json(request))
    for key in ("training_file", "validation_file"):
        if isinstance(body.get(key), str):
            lenient.ensure_file(em, owner, body[key])
    if isinstance(body.get("model"), str):
        lenient.ensure_model(em, owner, body["model"])
    now = em.now()
    job = jobs.create_job(emulator(request), owner, body, now, shared_models(request))
    return ok(job.to_dict(now))


async def list_jobs(request: Request) -> Response:
    owner, now = tenant(request), emulator(request).now()
    params = page_params(request, default_limit=20, max_limit=MAX_LIMIT)
    return ok(jobs.list_jobs(emulator(request), owner, query=dict(request.query_params), now=now, **params))


def _owner(request: Request, first_call: str = "retrieve") -> Tenant:
    """The caller's tenant, with the path's job materialized first in lenient mode."""
    owner = tenant(request)
    lenient.ensure_job(emulator(request), owner, request.path_params["job_id"], first_call)
    return owner


async def retrieve_job(request: Request) -> Response:
    owner, now = _owner(request), emulator(request).now()
    return ok(jobs.retrieve_job(emulator(request), owner, request.path_params["job_id"], now))


async def cancel_job(request: Request) -> Response:
    owner, now = _owner(request, "cancel"), emulator(request).now()
    return ok(jobs.cancel_job(emulator(request), owner, request.path_params["job_id"], now).to_dict(now))


async def pause_job(request: Request) -> Response:
    owner, now = _owner(request, "pause"), emulator(request).now()
    return ok(jobs.pause_job(emulator(request), owner, request.path_params["job_id"], now).to_dict(now))


async def resume_job(request: Request) -> Response:
    owner, now = _owner(request, "resume"), emulator(request).now()
    return ok(jobs.resume_job(emulator(request), owner, request.path_params["job_id"], now).to_dict(now))


async def list_events(request: Request) -> Response:
    owner, now = _owner(request), emulator(request).now()
    params = page_params(request, default_limit=20, max_limit=MAX_LIMIT)
    page = jobs.list_events(emulator(request), owner, request.path_params["job_id"], now=now, **params)
    return ok(page.to_dict(Event.to_dict))


async def list_checkpoints(request: Request) -> Response:
    owner, now = _owner(request), emulator(request).now()
    params = page_params(request, default_limit=10, max_limit=MAX_LIMIT)
    page = jobs.list_checkpoints(emulator(request), owner, request.path_params["job_id"], now=now, **params)
    return ok(page.to_dict(Checkpoint.to_dict, cursors=True, empty_cursor=None))


def routes() -> list[BaseRoute]:
    base = "/v1/fine_tuning/jobs"
    return [
        Route(base, create_job, methods=["POST"]),
        Route(base, list_jobs, methods=["GET"]),
        Route(base + "/{job_id}", retrieve_job, methods=["GET"]),
        Route(base + "/{job_id}/cancel", cancel_job, methods=["POST"]),
        Route(base + "/{job_id}/pause", pause_job, methods=["POST"]),
        Route(base + "/{job_id}/resume", resume_job, methods=["POST"]),
        Route(base + "/{job_id}/events", list_events, methods=["GET"]),
        Route(base + "/{job_id}/checkpoints", list_checkpoints, methods=["GET"]),
    ]
