"""Azure's checkpoint copy (preview) on the core's job routes: POST starts it, GET reports it; both need
the `aoai-copy-ft-checkpoints: preview` header. OpenAI has no such endpoint (its callers get `Invalid URL`).
The rules are in domain/jobs/checkpoint_copy.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...domain import jobs
from ...domain.jobs.checkpoint_copy import copy_checkpoint, copy_status
from ...domain.state import Tenant
from ...errors import InvalidRequestError, invalid_url
from ..common import emulator, ok, read_json, tenant

__all__ = ["routes"]

HEADER = "aoai-copy-ft-checkpoints"


def _owner(request: Request) -> Tenant:
    owner = tenant(request)
    if owner.dialect != "azure":
        raise invalid_url(request.method, request.url.path)
    if request.headers.get(HEADER, "").lower() != "preview":
        raise InvalidRequestError(
            f"This operation is in preview: send the header '{HEADER}: preview' to use it.", param=HEADER
        )
    return owner


async def start_copy(request: Request) -> Response:
    owner, em = _owner(request), emulator(request)
    body = await read_json(request)
    now = em.now()
    job = jobs.get_job(em, owner, request.path_params["job_id"], now)
    return ok(copy_checkpoint(job, request.path_params["checkpoint_id"], body, now))


async def read_copy(request: Request) -> Response:
    owner, em = _owner(request), emulator(request)
    now = em.now()
    job = jobs.get_job(em, owner, request.path_params["job_id"], now)
    return ok(copy_status(job, request.path_params["checkpoint_id"], now))


def routes() -> list[BaseRoute]:
    path = "/v1/fine_tuning/jobs/{job_id}/checkpoints/{checkpoint_id}/copy"
    return [Route(path, start_copy, methods=["POST"]), Route(path, read_copy, methods=["GET"])]
