"""/v1/fine_tuning/checkpoints/{checkpoint}/permissions: admin keys share fine-tuned models with projects."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain import lenient, permissions
from ..domain.permissions import Permission
from ..domain.state import Tenant
from .common import emulator, ok, page_params, read_json, tenant

__all__ = ["routes"]


def _admin_tenant(request: Request, write: bool) -> Tenant:
    """The organization an admin key manages: its own, or the one its `OpenAI-Organization` header names."""
    em = emulator(request)
    if not em.settings.lenient:  # lenient mode lets any key manage permissions (generated suites)
        permissions.check_admin(request.state.api_key, em.settings.admin_keys, write)
    named = request.headers.get("openai-organization")
    chosen = em.find_tenant(named) if named else None
    if chosen is not None:
        chosen.settle(em.now())
    owner = chosen or tenant(request)
    lenient.ensure_checkpoint(em, owner, request.path_params["checkpoint"])
    return owner


async def list_permissions(request: Request) -> Response:
    owner = _admin_tenant(request, write=False)
    params = page_params(request, default_limit=10, max_limit=100, orders=("descending", "ascending"))
    page = permissions.list_permissions(
        owner,
        request.path_params["checkpoint"],
        project_id=request.query_params.get("project_id") or None,
        **params,
    )
    return ok(page.to_dict(Permission.to_dict, cursors=True, empty_cursor=None))


async def create_permissions(request: Request) -> Response:
    owner = _admin_tenant(request, write=True)
    body = await read_json(request)
    em = emulator(request)
    page = permissions.create_permissions(
        owner, request.path_params["checkpoint"], body, em.now(), any_project=em.settings.lenient
    )
    return ok(page.to_dict(Permission.to_dict, cursors=True, empty_cursor=None))


async def delete_permission(request: Request) -> Response:
    owner = _admin_tenant(request, write=True)
    checkpoint, permission_id = request.path_params["checkpoint"], request.path_params["permission_id"]
    lenient.ensure_permission(emulator(request), owner, checkpoint, permission_id)
    return ok(
        permissions.delete_permission(
            owner, request.path_params["checkpoint"], request.path_params["permission_id"]
        )
    )


def routes() -> list[BaseRoute]:
    base = "/v1/fine_tuning/checkpoints/{checkpoint}/permissions"
    return [
        Route(base, list_permissions, methods=["GET"]),
        Route(base, create_permissions, methods=["POST"]),
        Route(base + "/{permission_id}", delete_permission, methods=["DELETE"]),
    ]
