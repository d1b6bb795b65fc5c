"""/_emulator/azure: control-API shortcuts for Azure resources, outside Azure's paths.

    POST   /_emulator/azure/accounts                 {"name", "api_key"}: bind an ARM account name to a key
    GET    /_emulator/azure/accounts                 the bindings (keys masked)
    DELETE /_emulator/azure/accounts/{name}
    POST   /_emulator/azure/deployments              {"name", "model", "version"?, "sku"?, "capacity"?,
                                                      "ready"?}
    GET    /_emulator/azure/deployments
    DELETE /_emulator/azure/deployments/{name}

The deployment calls name their Azure resource with `api_key`, `account` (a bound name) or `organization`
(in the body or the query), or an `api-key` header. A shortcut deployment obeys the same rules as one made
through ARM (model checks, developer-tier expiry, idle deletion) but is ready at once unless `ready` is false.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...domain.deployments import Deployment
from ...domain.state import Tenant
from ...domain.tenancy import mask_key
from ...errors import InvalidRequestError, NotFoundError
from ...params import Param
from ..common import analyses_ready, emulator, ok, read_json
from ..control import PREFIX

__all__ = ["control_shape", "routes"]

_SCOPE = {"api_key": Param("string"), "account": Param("string"), "organization": Param("string")}


def azure_scope(request: Request, body: dict[str, Any] | None = None) -> Tenant:
    """The Azure tenant a control call is about (required: deployments always belong to one resource)."""
    em = emulator(request)
    source = {**request.query_params, **(body or {})}
    if source.get("api_key"):
        return em.tenant(str(source["api_key"]), "azure")
    if source.get("account"):
        key = em.azure_accounts.key_for(str(source["account"]))
        if key is None:
            raise NotFoundError(
                f"No Azure account named {source['account']} is bound to a key.", param="account"
            )
        return em.tenant(key, "azure")
    if source.get("organization"):
        found = em.find_tenant(str(source["organization"]))
        if found is None or found.dialect != "azure":
            raise NotFoundError(f"No such Azure resource: {source['organization']}", param="organization")
        return found
    if request.headers.get("api-key"):
        return em.tenant(request.headers["api-key"], "azure")
    raise InvalidRequestError(
        "Say which Azure resource: give 'api_key', 'account' or 'organization', or send an api-key header.",
        param="api_key",
    )


def control_shape(deployment: Deployment, now: float) -> dict[str, Any]:
    gone = deployment.gone_at()
    return {
        "object": "azure.deployment",
        "name": deployment.name,
        "model": deployment.model,
        "model_name": deployment.model_name,
        "model_version": deployment.model_version,
        "sku": deployment.sku,
        "capacity": deployment.capacity,
        "provisioning_state": deployment.state(now),
        "created_at": deployment.created_at,
        "ready_at": deployment.ready_at,
        "deleted_at": None if gone == float("inf") else gone,  # when a clock rule will delete it
        "last_called_at": deployment.last_called_at,
    }


async def bind_account(request: Request) -> Response:
    body = await read_json(
        request,
        {
            "name": Param("string", required=True, nullable=False),
            "api_key": Param("string", required=True, nullable=False),
        },
    )
    if not body["name"] or not body["api_key"]:
        raise InvalidRequestError("'name' and 'api_key' must not be empty.", param="name")
    em = emulator(request)
    em.azure_accounts.bind(body["name"], body["api_key"])
    tenant = em.tenant(body["api_key"], "azure")
    return ok(
        {
            "name": body["name"].lower(),
            "api_key": mask_key(body["api_key"]),
            "organization": tenant.organization.id,
        }
    )


async def list_accounts(request: Request) -> Response:
    data = [
        {"name": name, "api_key": mask_key(key)} for name, key in emulator(request).azure_accounts.items()
    ]
    return ok({"object": "list", "data": data})


async def unbind_account(request: Request) -> Response:
    name = request.path_params["name"]
    if not emulator(request).azure_accounts.unbind(name):
        raise NotFoundError(f"No Azure account named {name} is bound to a key.", param="name")
    return ok({"name": name.lower(), "deleted": True})


async def create_deployment(request: Request) -> Response:
    body = await read_json(
        request,
        {
            **_SCOPE,
            "name": Param("string", required=True, nullable=False),
            "model": Param("string", required=True, nullable=False),
            "version": Param("string"),
            "sku": Param("string"),
            "capacity": Param("integer", minimum=1),
            "ready": Param("boolean"),
        },
    )
    tenant, now = azure_scope(request, body), emulator(request).now()
    await analyses_ready(tenant, now=now)
    with tenant.lock:
        tenant.settle(now)
        deployment, created = tenant.deployments.put(
            body["name"],
            model=body["model"],
            version=body.get("version"),
            sku=body.get("sku") or "standard",
            capacity=body.get("capacity") or 1,
            now=now,
            ready=body.get("ready") is not False,
        )
    return ok(
        {**control_shape(deployment, now), "organization": tenant.organization.id}, 201 if created else 200
    )


async def list_deployments(request: Request) -> Response:
    tenant, now = azure_scope(request), emulator(request).now()
    return ok(
        {
            "object": "list",
            "organization": tenant.organization.id,
            "data": [control_shape(d, now) for d in tenant.deployments.list(now)],
        }
    )


async def delete_deployment(request: Request) -> Response:
    tenant, name = azure_scope(request), request.path_params["name"]
    if tenant.deployments.delete(name, emulator(request).now()) is None:
        raise NotFoundError(f"No such deployment: {name}", param="name")
    return ok({"object": "azure.deployment.deleted", "name": name, "deleted": True})


def routes() -> list[BaseRoute]:
    base = f"{PREFIX}/azure"
    return [
        Route(f"{base}/accounts", bind_account, methods=["POST"]),
        Route(f"{base}/accounts", list_accounts, methods=["GET"]),
        Route(f"{base}/accounts/{{name}}", unbind_account, methods=["DELETE"]),
        Route(f"{base}/deployments", create_deployment, methods=["POST"]),
        Route(f"{base}/deployments", list_deployments, methods=["GET"]),
        Route(f"{base}/deployments/{{name}}", delete_deployment, methods=["DELETE"]),
    ]
