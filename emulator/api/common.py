"""Helpers every route uses: reach the emulator and tenant, read JSON bodies, page parameters."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..domain import permissions
from ..domain.models import ModelRecord
from ..domain.state import Emulator, Tenant
from ..domain.tenancy import authenticate
from ..errors import InvalidRequestError, NotFoundError, invalid_json
from ..params import Param, parse_query_int, validate

__all__ = [
    "control_scope",
    "emulator",
    "ok",
    "page_params",
    "project",
    "read_json",
    "shared_models",
    "tenant",
]


def emulator(request: Request) -> Emulator:
    em: Emulator = request.app.state.emulator
    return em


def tenant(request: Request) -> Tenant:
    """The caller's tenant, with clock-derived state brought up to date."""
    t: Tenant = request.state.tenant
    t.settle(emulator(request).now())
    return t


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


async def read_json(request: Request, schema: dict[str, Param] | None = None) -> dict[str, Any]:
    """The body as a JSON object, recorded in the journal and checked against `schema` when given."""
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        request.state.journal_body = raw[:200].decode("utf-8", "replace")
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
