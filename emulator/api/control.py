"""/_emulator: the control plane (health, reset, clock, seed, request journal), outside OpenAI's paths."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .. import __version__
from ..clock import make_clock
from ..domain import jobs
from ..domain.state import Tenant
from ..durations import parse_duration
from ..errors import InvalidRequestError, NotFoundError
from ..params import Param
from .common import control_scope, emulator, ok, read_json

__all__ = ["PREFIX", "routes"]

PREFIX = "/_emulator"


async def health(request: Request) -> Response:
    em = emulator(request)
    return ok({"status": "ok", "version": __version__, "seed": em.seed, "time": em.now()})


async def reset(request: Request) -> Response:
    body = await read_json(request, {"api_key": Param("string"), "organization": Param("string")})
    target = control_scope(request, body)
    emulator(request).reset(target.organization.id if target else None)
    return ok({"reset": target.organization.id if target else "all"})


def _clock_body(request: Request) -> dict[str, Any]:
    clock = emulator(request).clock
    return {"now": clock.now(), "mode": clock.mode, "speed": getattr(clock, "speed", None)}


async def read_clock(request: Request) -> Response:
    return ok(_clock_body(request))


async def advance_clock(request: Request) -> Response:
    body = await read_json(request, {"seconds": Param("number", minimum=0), "duration": Param("string")})
    if ("seconds" in body) == ("duration" in body):
        raise InvalidRequestError("Give exactly one of 'seconds' or 'duration'.", param="seconds")
    try:
        seconds = body["seconds"] if "seconds" in body else parse_duration(body["duration"])
    except ValueError as exc:
        raise InvalidRequestError(str(exc), param="duration") from None
    emulator(request).clock.advance(seconds)
    return ok(_clock_body(request))


async def set_clock(request: Request) -> Response:
    body = await read_json(
        request,
        {
            "mode": Param("string", required=True, enum=("virtual", "real")),
            "speed": Param("number", exclusive_minimum=0),
        },
    )
    em = emulator(request)
    em.clock = make_clock(body["mode"], start=em.now(), speed=body.get("speed") or 1.0)
    return ok(_clock_body(request))


async def read_seed(request: Request) -> Response:
    return ok({"seed": emulator(request).seed})


async def set_seed(request: Request) -> Response:
    body = await read_json(request, {"seed": Param("integer", required=True, nullable=False)})
    emulator(request).reseed(body["seed"])
    return ok({"seed": body["seed"]})


def _journal_filters(request: Request) -> dict[str, Any]:
    target = control_scope(request)
    query = request.query_params
    status = query.get("status")
    if status is not None and not status.isdigit():
        raise InvalidRequestError("'status' must be an HTTP status code.", param="status")
    return {
        "method": query.get("method"),
        "path": query.get("path"),
        "status": int(status) if status else None,
        "organization": target.organization.id if target else None,
    }


async def list_requests(request: Request) -> Response:
    entries = emulator(request).journal.find(**_journal_filters(request))
    return ok({"object": "list", "data": [e.to_dict() for e in entries]})


async def count_requests(request: Request) -> Response:
    return ok({"count": len(emulator(request).journal.find(**_journal_filters(request)))})


async def clear_requests(request: Request) -> Response:
    target = control_scope(request)
    emulator(request).journal.clear(target.organization.id if target else None)
    return ok({"cleared": True})



# -- fine-tuning jobs: drive them without waiting --------------------------------------------------------

_SCOPE = {"api_key": Param("string"), "organization": Param("string")}


def _job_owner(request: Request, body: dict[str, Any], job_id: str) -> Tenant:
    """The tenant owning `job_id`: the scoped one, or whichever tenant has it."""
    target = control_scope(request, body)
    candidates = [target] if target is not None else emulator(request).tenants()
    for candidate in candidates:
        if job_id in candidate.jobs.jobs:
            return candidate
    raise NotFoundError(f"No such fine-tuning job: {job_id}", param="fine_tuning_job_id")


async def run_job(request: Request) -> Response:
    """Fast-forward one job (its own timeline; the clock and other jobs stay put) until `until`."""
    body = await read_json(request, {**_SCOPE, "until": Param("string")})
    em, job_id = emulator(request), request.path_params["job_id"]
    owner, now = _job_owner(request, body, job_id), em.now()
    owner.settle(now)
    job = jobs.run_until(em, owner, job_id, body.get("until") or "completed", now)
    owner.settle(now)
    return ok(job.to_dict(now))


async def run_jobs(request: Request) -> Response:
    """Run every unfinished job (of the scoped tenant, or of all tenants) to completion."""
    body = await read_json(request, _SCOPE)
    em, target = emulator(request), control_scope(request, body)
    tenants, now = [target] if target is not None else em.tenants(), em.now()
    results = jobs.run_all(em, tenants, now)
    for tenant in tenants:
        tenant.settle(now)
    return ok({"object": "list", "data": results})


async def set_job_progression(request: Request) -> Response:
    """Choose `time`, `manual` or `step-per-read` for one job (`job_id`) or a tenant (null: the default)."""
    body = await read_json(request, {**_SCOPE, "policy": Param("string"), "job_id": Param("string")})
    if "policy" not in body:
        raise InvalidRequestError(
            "Missing required parameter: 'policy'.", param="policy", code="missing_required_parameter"
        )
    em = emulator(request)
    job_id = body.get("job_id")
    owner = _job_owner(request, body, job_id) if job_id else control_scope(request, body)
    if owner is None:
        raise InvalidRequestError(
            "Say whose jobs: give 'job_id', 'api_key' or 'organization', or send the tenant's bearer key.",
            param="api_key",
        )
    now = em.now()
    owner.settle(now)
    jobs.set_progression(em, owner, body["policy"], job_id, now)
    return ok({
        "policy": body["policy"],
        "organization": owner.organization.id,
        "job_id": job_id,
        "default": owner.jobs.default_policy(),
    })

async def read_lenient(request: Request) -> Response:
    return ok({"lenient": emulator(request).settings.lenient})


async def set_lenient(request: Request) -> Response:
    """Switch lenient mode on or off (it stays as set across resets, like any setting)."""
    body = await read_json(request, {"enabled": Param("boolean", required=True, nullable=False)})
    em = emulator(request)
    em.settings = em.settings.with_overrides(lenient=body["enabled"])
    return ok({"lenient": em.settings.lenient})


def routes() -> list[BaseRoute]:
    return [
        Route(f"{PREFIX}/health", health, methods=["GET"]),
        Route(f"{PREFIX}/reset", reset, methods=["POST"]),
        Route(f"{PREFIX}/clock", read_clock, methods=["GET"]),
        Route(f"{PREFIX}/clock", set_clock, methods=["POST"]),
        Route(f"{PREFIX}/clock/advance", advance_clock, methods=["POST"]),
        Route(f"{PREFIX}/seed", read_seed, methods=["GET"]),
        Route(f"{PREFIX}/seed", set_seed, methods=["POST"]),
        Route(f"{PREFIX}/lenient", read_lenient, methods=["GET"]),
        Route(f"{PREFIX}/lenient", set_lenient, methods=["POST"]),
        Route(f"{PREFIX}/requests", list_requests, methods=["GET"]),
        Route(f"{PREFIX}/requests", clear_requests, methods=["DELETE"]),
        Route(f"{PREFIX}/requests/count", count_requests, methods=["GET"]),
        Route(f"{PREFIX}/jobs/run", run_jobs, methods=["POST"]),
        Route(f"{PREFIX}/jobs/progression", set_job_progression, methods=["POST"]),
        Route(f"{PREFIX}/jobs/{{job_id}}/run", run_job, methods=["POST"]),
    ]
