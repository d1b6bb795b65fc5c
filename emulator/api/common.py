"""Helpers every route uses: reach the emulator and tenant, read JSON bodies, page parameters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..domain import permissions
from ..domain.models import ModelRecord
from ..domain.state import Emulator, Tenant
from ..domain.tenancy import authenticate
from ..errors import InvalidRequestError, NotFoundError, invalid_json, payload_too_large
from ..jsonbody import parse_json
from ..params import Param, parse_query_int, validate

__all__ = [
    "analyses_ready",
    "control_scope",
    "emulator",
    "off_loop",
    "ok",
    "page_params",
    "project",
    "read_body",
    "read_json",
    "shared_models",
    "tenant",
]

log = logging.getLogger("emulator")
P = ParamSpec("P")
T = TypeVar("T")


def emulator(request: Request) -> Emulator:
    em: Emulator = request.app.state.emulator
    return em


def tenant(request: Request) -> Tenant:
    """The caller's tenant, with clock-derived state brought up to date."""
    t: Tenant = request.state.tenant
    t.settle(emulator(request).now())
    return t


async def off_loop(request: Request, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run work that grows with a file's size on the emulator's workers; only this request waits."""
    return await asyncio.wrap_future(emulator(request).workers.submit(fn, *args, **kwargs))


async def analyses_ready(owner: Tenant, job_id: str | None = None, now: float | None = None) -> None:
    """Wait, off the event loop, for the file analyses this request depends on: those a read at `now`
    needs, or (`now` None) every pending one of `job_id` (or of all the tenant's jobs) before a change.
    Only this request waits; the result is the same however long the analysis took."""
    futures = owner.jobs.waiting(now, job_id)
    if futures:
        await asyncio.wait([asyncio.wrap_future(f) for f in futures])


def project(request: Request) -> str:
    """The project the request acts in: its `OpenAI-Project` header, else its organization's default."""
    chosen: str = request.state.project  # set by the edge middleware
    return chosen


def shared_models(request: Request) -> Callable[[str], tuple[Tenant, ModelRecord] | None]:
    """Finds a model another organization has granted to this request's project (checkpoint permissions)."""
    em, caller = emulator(request), project(request)
    return lambda model_id: permissions.shared_model(em.tenants(), caller, model_id)


def ok(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused with a 413 once it passes `limit` bytes (nothing more is buffered)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise payload_too_large(limit, int(declared))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise payload_too_large(limit, size)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, schema: dict[str, Param] | None = None) -> dict[str, Any]:
    """The body as a JSON object, recorded in the journal and checked against `schema` when given."""
    settings = emulator(request).settings
    raw = await read_body(request, settings.max_json_bytes)
    try:
        body = parse_json(raw, max_depth=settings.max_json_depth) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError) as exc:
        request.state.journal_body = raw[:200].decode("utf-8", "replace")
        log.info("unparsable JSON body on %s %s: %s", request.method, request.url.path, exc)
        raise invalid_json() from None
    request.state.journal_body = body
    if not isinstance(body, dict):
        raise invalid_json()
    return validate(body, schema) if schema is not None else body


def page_params(
    request: Request, *, default_limit: int, max_limit: int, orders: tuple[str, ...] = ()
) -> dict[str, Any]:
    """`limit`, `after` and (where the endpoint has one) `order` from the query string."""
    query = request.query_params
    lenient = emulator(request).settings.lenient  # generated suites send limit=0
    limit = parse_query_int(
        query.get("limit"), "limit", default=default_limit, minimum=0 if lenient else 1, maximum=max_limit
    )
    params: dict[str, Any] = {
        "limit": limit or (default_limit if lenient else limit),
        "after": query.get("after") or None,
    }
    if orders:
        order = query.get("order", orders[0])
        if order not in orders:
            raise InvalidRequestError(
                f"Invalid value: '{order}'. Supported values are: "
                + " and ".join(f"'{o}'" for o in sorted(orders))
                + ".",
                param="order",
                code="invalid_value",
            )
        params["order"] = order
    return params


def control_scope(request: Request, body: dict[str, Any] | None = None) -> Tenant | None:
    """The tenant a control-plane call is about: `organization` or `api_key` in body or query, else the
    bearer key; None means every tenant."""
    em = emulator(request)
    source = {**request.query_params, **(body or {})}
    if source.get("organization"):
        found = em.find_tenant(str(source["organization"]))
        if found is None:
            raise NotFoundError(f"No such organization: {source['organization']}", param="organization")
        return found
    if source.get("api_key"):
        return em.tenant(str(source["api_key"]))
    if request.headers.get("authorization"):
        return em.tenant(authenticate(request.headers["authorization"], ()))
    return None
