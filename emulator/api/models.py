"""/v1/models: the base catalog plus the caller's fine-tuned models."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain import lenient, models
from ..errors import NotFoundError, PermissionDeniedError
from .common import emulator, ok, tenant

__all__ = ["routes"]


def _not_found(model_id: str) -> NotFoundError:
    return NotFoundError(f"The model '{model_id}' does not exist", param="model", code="model_not_found")


async def list_models(request: Request) -> Response:
    owner = tenant(request)
    data = [models.base_to_dict(m) for m in models.BASE_MODELS.values()]
    data += [m.to_dict() for m in owner.models if not m.deleted]
    return ok({"object": "list", "data": data})


async def retrieve_model(request: Request) -> Response:
    model_id = request.path_params["model"]
    lenient.ensure_model(emulator(request), tenant(request), model_id)
    base = models.base_model(model_id)
    if base is not None:
        return ok(models.base_to_dict(base))
    record = tenant(request).models.get(model_id)
    if record is None or record.deleted:
        raise _not_found(model_id)
    return ok(record.to_dict())


async def delete_model(request: Request) -> Response:
    model_id = request.path_params["model"]
    if models.base_model(model_id) is not None:
        raise PermissionDeniedError(
            f"You have insufficient permissions for this operation. Model '{model_id}' is not owned by your "
            "organization, so it can't be deleted.",
            param="model",
        )
    lenient.ensure_model(emulator(request), tenant(request), model_id)
    record = tenant(request).models.get(model_id)
    if record is None or record.deleted:
        raise _not_found(model_id)
    record.deleted = True
    return ok({"id": record.id, "object": "model", "deleted": True})


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model:path}", retrieve_model, methods=["GET"]),
        Route("/v1/models/{model:path}", delete_model, methods=["DELETE"]),
    ]
