"""/v1/models: the base catalog plus the caller's fine-tuned models, each with its `shutdown_date`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain import lenient, lifecycle, models
from ..errors import NotFoundError, PermissionDeniedError
from .common import emulator, ok, tenant

__all__ = ["routes"]


def _not_found(model_id: str) -> NotFoundError:
    return NotFoundError(f"The model '{model_id}' does not exist", param="model", code="model_not_found")


async def list_models(request: Request) -> Response:
    owner, em = tenant(request), emulator(request)
    calendar, now = lifecycle.calendar_for(em, owner), em.now()
    data = []
    for base in models.BASE_MODELS.values():
        date = lifecycle.model_shutdown(calendar, base.id)
        if lifecycle.visible(calendar, base.id, date, now, retrieve=False):
            data.append({**models.base_to_dict(base), "shutdown_date": date})
    for record in owner.models:
        if record.deleted:
            continue
        date = lifecycle.model_shutdown(calendar, record.id, record.base)
        if lifecycle.visible(calendar, record.id, date, now, retrieve=False):
            data.append({**record.to_dict(), "shutdown_date": date})
    return ok({"object": "list", "data": data})


async def retrieve_model(request: Request) -> Response:
    model_id, owner, em = request.path_params["model"], tenant(request), emulator(request)
    lenient.ensure_model(em, owner, model_id)
    calendar = lifecycle.calendar_for(em, owner)
    base = models.base_model(model_id)
    if base is not None:
        date = lifecycle.model_shutdown(calendar, model_id)
        lifecycle.visible(calendar, model_id, date, em.now(), retrieve=True)
        return ok({**models.base_to_dict(base), "shutdown_date": date})
    record = owner.models.get(model_id)
    if record is None or record.deleted:
        raise _not_found(model_id)
    date = lifecycle.model_shutdown(calendar, model_id, record.base)
    lifecycle.visible(calendar, model_id, date, em.now(), retrieve=True)
    return ok({**record.to_dict(), "shutdown_date": date})


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
