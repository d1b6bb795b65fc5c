"""ARM's deployment operations of an Azure OpenAI resource, served on the emulator's own port:

    PUT    /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/{account}
           /deployments/{name}     (one path, wrapped here)
    GET    …/deployments/{name}
    PATCH  …/deployments/{name}        sku name and capacity only (Deployments_Update)
    DELETE …/deployments/{name}
    GET    …/deployments

Shapes follow Microsoft.CognitiveServices' ARM spec and its examples (Deployments_CreateOrUpdate 201 on
create / 200 on update, Deployments_Get, Deployments_List `{"value": [...]}`, Deployments_Delete 200, or 204
when there was nothing to delete):
https://github.com/Azure/azure-rest-api-specs/tree/main/specification/cognitiveservices/resource-manager/Microsoft.CognitiveServices/stable/2024-10-01/examples
(PutDeployment.json, GetDeployment.json, UpdateDeployment.json, ListDeployments.json,
DeleteDeployment.json). A GET of a deployment
that does not exist is 404 NotFound, "Specified resource '<id>' cannot be found."
(https://github.com/microsoft/PubSec-Info-Assistant/issues/385).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from ...domain.deployments import Deployment, model_not_supported
from ...domain.state import Tenant
from ...jsonbody import parse_json
from ..common import emulator, read_body
from .edge import ArmError, arm_endpoint, arm_time

__all__ = ["ARM_DEPLOYMENTS", "SKU_NAMES", "routes", "to_arm"]

ARM_DEPLOYMENTS = (
    "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.CognitiveServices"
    "/accounts/{account}/deployments"
)
TYPE = "Microsoft.CognitiveServices/accounts/deployments"
SKU_NAMES = {"standard": "Standard", "globalstandard": "GlobalStandard", "developertier": "DeveloperTier"}


def _resource_id(request: Request, name: str) -> str:
    p = request.path_params
    return (
        f"/subscriptions/{p['subscription']}/resourceGroups/{p['group']}/providers/"
        f"Microsoft.CognitiveServices/accounts/{p['account']}/deployments/{name}"
    )


def to_arm(deployment: Deployment, resource_id: str, tenant: Tenant, now: float) -> dict[str, Any]:
    """A deployment as ARM shows it (`properties.model` as given at creation, the state at `now`)."""
    creator = tenant.organization.name
    return {
        "id": resource_id,
        "type": TYPE,
        "name": deployment.name,
        "sku": {"name": SKU_NAMES[deployment.sku], "capacity": deployment.capacity},
        "properties": {
            "model": {"format": "OpenAI", "name": deployment.model_name, "version": deployment.model_version},
            "provisioningState": deployment.state(now),
        },
        "systemData": {
            "createdBy": creator,
            "createdByType": "Application",
            "createdAt": arm_time(deployment.created_at),
            "lastModifiedBy": creator,
            "lastModifiedByType": "Application",
            "lastModifiedAt": arm_time(deployment.updated_at),
        },
    }


def _bad_content(detail: str) -> ArmError:
    return ArmError(
        f"The request content was invalid and could not be deserialized: {detail}",
        code="InvalidRequestContent",
        status_code=400,
    )


async def _read_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object (kept for the journal); anything else is ARM's InvalidRequestContent."""
    settings = emulator(request).settings
    raw = await read_body(request, settings.max_json_bytes)
    try:
        body = parse_json(raw, max_depth=settings.max_json_depth) if raw.strip() else None
    except (ValueError, UnicodeDecodeError) as exc:
        request.state.journal_body = raw[:200].decode("utf-8", "replace")
        raise _bad_content(str(exc)) from None
    request.state.journal_body = body
    if not isinstance(body, dict):
        raise _bad_content("the body must be a JSON object.")
    return body


def _sku(body: dict[str, Any], name: str, capacity: int) -> tuple[str, int]:
    """`sku` {name, capacity} of a body, each part defaulting to the given one."""
    sku = body.get("sku") if body.get("sku") is not None else {}
    if not isinstance(sku, dict) or not isinstance(sku.get("name", name), str):
        raise _bad_content("'sku.name' must be a string.")
    wanted = sku.get("capacity", capacity)
    if isinstance(wanted, bool) or not isinstance(wanted, int) or wanted < 1:
        raise ArmError(
            f"The capacity '{json.dumps(wanted)}' of account deployment is invalid.",
            code="InvalidCapacity",
            status_code=400,
        )
    return sku.get("name", name), wanted


async def _read_deployment_body(request: Request) -> dict[str, Any]:
    """The PUT body: `sku` {name, capacity} (default Standard, 1) and `properties.model` {format, name,
    version}."""
    body = await _read_object(request)
    properties = body.get("properties")
    model = properties.get("model") if isinstance(properties, dict) else None
    if not isinstance(model, dict) or not isinstance(model.get("name"), str) or not model["name"]:
        raise ArmError(
            "The deployment 'properties.model' with 'format', 'name' and 'version' is required.",
            code="InvalidResourceProperties",
            status_code=400,
        )
    for field in ("format", "version"):
        if model.get(field) is not None and not isinstance(model[field], str):
            raise _bad_content(f"'properties.model.{field}' must be a string.")
    sku, capacity = _sku(body, "Standard", 1)
    return {
        "format": model.get("format") or "OpenAI",
        "name": model["name"],
        "version": model.get("version"),
        "sku": sku,
        "capacity": capacity,
    }


async def put_deployment(request: Request, tenant: Tenant) -> tuple[int, dict[str, Any] | None]:
    spec = await _read_deployment_body(request)
    now = emulator(request).now()
    if spec["format"] != "OpenAI":
        raise model_not_supported(spec["name"], spec["version"], spec["format"])
    name = request.path_params["name"]
    with tenant.lock:
        tenant.settle(now)  # a job that finished by now has registered its fine-tuned model
        deployment, created = tenant.deployments.put(
            name,
            model=spec["name"],
            version=spec["version"],
            sku=spec["sku"],
            capacity=spec["capacity"],
            now=now,
        )
    return (201 if created else 200), to_arm(deployment, _resource_id(request, name), tenant, now)


async def get_deployment(request: Request, tenant: Tenant) -> tuple[int, dict[str, Any] | None]:
    name, now = request.path_params["name"], emulator(request).now()
    deployment = tenant.deployments.get(name, now)
    if deployment is None:
        raise _missing(request, name)
    return 200, to_arm(deployment, _resource_id(request, name), tenant, now)


async def patch_deployment(request: Request, tenant: Tenant) -> tuple[int, dict[str, Any] | None]:
    """Deployments_Update: change `sku` (name, capacity) of an existing deployment; the model stays."""
    name, now = request.path_params["name"], emulator(request).now()
    body = await _read_object(request)
    with tenant.lock:
        tenant.settle(now)
        current = tenant.deployments.get(name, now)
        if current is None:
            raise _missing(request, name)
        sku, capacity = _sku(body, current.sku, current.capacity)
        deployment, _ = tenant.deployments.put(
            name, model=current.model_name, version=current.model_version, sku=sku, capacity=capacity, now=now
        )
    return 200, to_arm(deployment, _resource_id(request, name), tenant, now)


def _missing(request: Request, name: str) -> ArmError:
    return ArmError(
        f"Specified resource '{_resource_id(request, name)}' cannot be found.",
        code="NotFound",
        status_code=404,
    )


async def delete_deployment(request: Request, tenant: Tenant) -> tuple[int, dict[str, Any] | None]:
    removed = tenant.deployments.delete(request.path_params["name"], emulator(request).now())
    return (200 if removed is not None else 204), None


async def list_deployments(request: Request, tenant: Tenant) -> tuple[int, dict[str, Any] | None]:
    now = emulator(request).now()
    return 200, {
        "value": [to_arm(d, _resource_id(request, d.name), tenant, now) for d in tenant.deployments.list(now)]
    }


def routes() -> list[BaseRoute]:
    one = ARM_DEPLOYMENTS + "/{name}"
    return [
        Route(ARM_DEPLOYMENTS, arm_endpoint(list_deployments), methods=["GET"]),
        Route(one, arm_endpoint(put_deployment), methods=["PUT"]),
        Route(one, arm_endpoint(get_deployment), methods=["GET"]),
        Route(one, arm_endpoint(patch_deployment), methods=["PATCH"]),
        Route(one, arm_endpoint(delete_deployment), methods=["DELETE"]),
    ]
