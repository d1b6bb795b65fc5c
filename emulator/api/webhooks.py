"""/v1/webhook_endpoints (OpenAI's endpoint API), /v1/webhook_event_types, and the delivery control plane."""

from __future__ import annotations

import dataclasses

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain.webhooks import EVENT_TYPES, WebhookEndpoint, WebhookEvent
from ..domain.webhooks.targets import check_target
from ..errors import InvalidRequestError
from ..ids import HEX
from ..params import Param
from ..webhook_dispatcher import WebhookDispatcher
from .common import control_scope, emulator, ok, page_params, read_json, tenant

__all__ = ["routes"]

_TYPES = Param("array", nullable=False, min_length=1, items=Param("string", enum=EVENT_TYPES))
_UPDATE = {
    "name": Param("string", nullable=False, min_length=1, max_length=256),
    "url": Param("string", nullable=False, max_length=2048),
    "event_types": _TYPES,
}
_CREATE = {name: dataclasses.replace(param, required=True) for name, param in _UPDATE.items()}
# The sample subject of a test delivery, per event family (the receiver can't fetch it: it is a sample).
_SAMPLE_IDS = {"fine_tuning": "ftjob-sample", "batch": "batch_sample", "response": "resp_sample"}


def dispatcher(request: Request) -> WebhookDispatcher:
    found: WebhookDispatcher = request.app.state.webhooks
    return found


def _target(request: Request, url: str) -> str:
    settings = emulator(request).settings
    return check_target(url, settings.webhook_allow_hosts, dispatcher(request).receivers)


async def create_endpoint(request: Request) -> Response:
    body = await read_json(request, _CREATE)
    url = _target(request, body["url"])
    outbox, now = tenant(request).webhooks, emulator(request).now()
    endpoint = outbox.create_endpoint(now, name=body["name"], url=url, event_types=tuple(body["event_types"]))
    dispatcher(request).wake()
    return ok(endpoint.to_dict(with_secret=True))


async def list_endpoints(request: Request) -> Response:
    params = page_params(request, default_limit=20, max_limit=100)
    page = tenant(request).webhooks.endpoints.page(limit=params["limit"], after=params["after"])
    return ok(page.to_dict(WebhookEndpoint.to_dict, cursors=True))


async def retrieve_endpoint(request: Request) -> Response:
    return ok(tenant(request).webhooks.endpoint(request.path_params["endpoint_id"]).to_dict())


async def update_endpoint(request: Request) -> Response:
    body = await read_json(request, _UPDATE)
    url = None if body.get("url") is None else _target(request, body["url"])
    types = None if body.get("event_types") is None else tuple(body["event_types"])
    endpoint = tenant(request).webhooks.update_endpoint(
        request.path_params["endpoint_id"],
        emulator(request).now(),
        name=body.get("name"),
        url=url,
        event_types=types,
    )
    return ok(endpoint.to_dict())


async def delete_endpoint(request: Request) -> Response:
    endpoint = tenant(request).webhooks.delete_endpoint(request.path_params["endpoint_id"])
    return ok({"id": endpoint.id, "object": "webhook_endpoint.deleted", "deleted": True})


async def rotate_secret(request: Request) -> Response:
    body = await read_json(request, {"keep_old_secret_active_for_24_hours": Param("boolean", nullable=False)})
    endpoint = tenant(request).webhooks.rotate_secret(
        request.path_params["endpoint_id"],
        emulator(request).now(),
        keep_old=bool(body.get("keep_old_secret_active_for_24_hours", False)),
    )
    return ok(endpoint.to_dict(with_secret=True))


async def test_endpoint(request: Request) -> Response:
    """Send a sample event now and answer with the receiver's status, as OpenAI does."""
    body = await read_json(
        request, {"event_type": Param("string", required=True, nullable=False, enum=EVENT_TYPES)}
    )
    em, owner = emulator(request), tenant(request)
    endpoint = owner.webhooks.endpoint(request.path_params["endpoint_id"])
    now = em.now()
    event_type: str = body["event_type"]
    subject = _SAMPLE_IDS.get(event_type.split(".")[0], "sample")
    event = WebhookEvent(owner.webhooks.ids.new("evt_", 32, HEX), event_type, int(now), subject)
    delivery = owner.webhooks.publish(event, now, None, only=endpoint)[0]
    await dispatcher(request).flush()
    attempt = delivery.attempts[-1] if delivery.attempts else None
    if attempt is None or attempt.status is None:
        raise InvalidRequestError(
            f"Could not deliver the test event to {endpoint.url}: "
            f"{attempt.error if attempt else 'no attempt was made'}.",
            param="webhook_endpoint_id",
        )
    return ok(
        {
            "object": "webhook_endpoint.test",
            "webhook_endpoint_id": endpoint.id,
            "event_type": event_type,
            "status_code": attempt.status,
            "success": True,
        }
    )


async def event_types(request: Request) -> Response:
    tenant(request)
    return ok({"object": "list", "data": list(EVENT_TYPES)})


# -- control plane -------------------------------------------------------------------------------------

_SCOPE = {"api_key": Param("string"), "organization": Param("string")}


async def add_endpoint(request: Request) -> Response:
    """Create an endpoint with a chosen secret (the public API always generates one)."""
    body = await read_json(
        request,
        {
            **_SCOPE,
            "url": Param("string", required=True, nullable=False),
            "secret": Param("string"),
            "name": Param("string", nullable=False),
            "event_types": _TYPES,
        },
    )
    owner = control_scope(request, body)
    if owner is None:
        raise InvalidRequestError(
            "Say whose endpoint this is: give 'api_key' or 'organization'.", param="api_key"
        )
    url = _target(request, body["url"])
    types = tuple(body.get("event_types") or [t for t in EVENT_TYPES if t.startswith("fine_tuning.")])
    try:
        endpoint = owner.webhooks.create_endpoint(
            emulator(request).now(),
            name=body.get("name") or "emulator control API",
            url=url,
            event_types=types,
            secret=body.get("secret"),
        )
    except ValueError as exc:
        raise InvalidRequestError(f"Invalid secret: {exc}.", param="secret") from None
    return ok(endpoint.to_dict(with_secret=True))


async def list_deliveries(request: Request) -> Response:
    """Every delivery of the scoped tenant (or all), newest first, with its attempts and next retry."""
    target = control_scope(request)
    params = page_params(request, default_limit=20, max_limit=1000)
    owners = [target] if target is not None else emulator(request).tenants()
    if len(owners) == 1:
        page = owners[0].webhooks.deliveries.page(limit=params["limit"], after=params["after"])
        return ok(page.to_dict(lambda d: d.to_dict(), cursors=True))
    rows = [d.to_dict() for owner in owners for d in owner.webhooks.deliveries]
    return ok({"object": "list", "data": rows[: params["limit"]], "has_more": len(rows) > params["limit"]})


async def flush(request: Request) -> Response:
    """Deliver everything due at the emulator's current time and wait for the receivers' answers."""
    body = await read_json(request, _SCOPE)
    await dispatcher(request).flush()
    target = control_scope(request, body)
    owners = [target] if target is not None else emulator(request).tenants()
    pending = sum(1 for owner in owners for d in owner.webhooks.deliveries if d.state == "pending")
    return ok({"object": "webhook.flush", "pending": pending})


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/webhook_endpoints", create_endpoint, methods=["POST"]),
        Route("/v1/webhook_endpoints", list_endpoints, methods=["GET"]),
        Route("/v1/webhook_endpoints/{endpoint_id}", retrieve_endpoint, methods=["GET"]),
        Route("/v1/webhook_endpoints/{endpoint_id}", update_endpoint, methods=["POST"]),
        Route("/v1/webhook_endpoints/{endpoint_id}", delete_endpoint, methods=["DELETE"]),
        Route("/v1/webhook_endpoints/{endpoint_id}/rotate_secret", rotate_secret, methods=["POST"]),
        Route("/v1/webhook_endpoints/{endpoint_id}/test", test_endpoint, methods=["POST"]),
        Route("/v1/webhook_event_types", event_types, methods=["GET"]),
        Route("/_emulator/webhooks", add_endpoint, methods=["POST"]),
        Route("/_emulator/webhooks/deliveries", list_deliveries, methods=["GET"]),
        Route("/_emulator/webhooks/flush", flush, methods=["POST"]),
    ]
