"""The real calendar at the edge: `/_emulator/lifecycle` (policy, access, shutdown dates) and the warning
header that `unrestricted` puts on responses the real service would have refused."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..domain.calendar import ACCESS, POLICIES, LifecycleSpec, bind_warnings, check_date, unbind_warnings
from ..domain.catalog_table import INACTIVITY_WINDOW_DAYS, WIND_DOWN
from ..errors import InvalidRequestError
from ..params import Param
from .common import control_scope, emulator, ok, read_json

__all__ = ["WARNING_HEADER", "LifecycleWarnings", "routes"]

WARNING_HEADER = "x-emulator-warning"
log = logging.getLogger("emulator.lifecycle")

_BODY = {
    "api_key": Param("string"),
    "organization": Param("string"),
    "policy": Param("string", enum=POLICIES),
    "access": Param("string", enum=ACCESS),
    "shutdown_dates": Param("object"),
}


class LifecycleWarnings:
    """Collects a request's lifecycle warnings; adds them as one header (and to the journal entry) and
    logs one line each."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        collected, token = bind_warnings()

        async def send_with_warning(message: Message) -> None:
            if message["type"] == "http.response.start" and collected:
                text = " | ".join(collected)
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (WARNING_HEADER.encode(), text.encode("latin-1", "replace")),
                    ],
                }
                for warning in collected:
                    log.warning("%s %s: %s", scope["method"], scope["path"], warning)
                state = scope.setdefault("state", {})  # the journal entry shows it too
                state["journal_extra"] = {**(state.get("journal_extra") or {}), "lifecycle_warning": text}
            await send(message)

        try:
            await self.app(scope, receive, send_with_warning)
        finally:
            unbind_warnings(token)


def _describe(request: Request, body: dict[str, Any] | None = None) -> dict[str, Any]:
    em = emulator(request)
    target = control_scope(request, body)
    out: dict[str, Any] = {
        "object": "emulator.lifecycle",
        "default_policy": em.settings.lifecycle,
        "overrides": em.lifecycle.to_dict(),
        "wind_down": {name: dated.date for name, dated in WIND_DOWN.items()},
        "inactivity_window_days": INACTIVITY_WINDOW_DAYS,
        "organization": None,
    }
    if target is None:
        out["policy"] = em.settings.lifecycle if em.lifecycle.policy is None else em.lifecycle.policy
        return out
    calendar, now = em.calendar(target), em.now()
    refusal = calendar.training_refusal(target.history, now)
    out.update(
        organization=target.organization.id,
        policy=calendar.policy,
        access=calendar.access,
        shutdown_dates=dict(calendar.overrides),
        overrides=target.lifecycle.to_dict(),
        history=target.history.to_dict(),
        can_create_jobs=refusal is None,
        reason=refusal,
    )
    return out


async def read_lifecycle(request: Request) -> Response:
    return ok(_describe(request))


async def set_lifecycle(request: Request) -> Response:
    """Set the policy, the tenant's access (`allowed`/`blocked`; null: follow its history) or shutdown dates
    (model id -> YYYY-MM-DD, or null for none), for one tenant (`api_key`/`organization`/bearer) or all."""
    body = await read_json(request, _BODY)
    dates = body.get("shutdown_dates") or {}
    try:
        checked = {str(k): check_date(v, f"shutdown_dates.{k}") for k, v in dates.items()}
    except ValueError as exc:
        raise InvalidRequestError(str(exc), param="shutdown_dates") from None
    em, target = emulator(request), control_scope(request, body)
    holder: Any = target if target is not None else em
    spec: LifecycleSpec = holder.lifecycle
    holder.lifecycle = spec.updated(
        policy=body.get("policy"),
        access=body.get("access"),
        clear_access="access" in body and body["access"] is None,
        dates=checked,
    )
    return ok(_describe(request, body))


async def clear_lifecycle(request: Request) -> Response:
    """Drop the control-API overrides (of one tenant, or the emulator-wide ones)."""
    em, target = emulator(request), control_scope(request)
    if target is not None:
        target.lifecycle = LifecycleSpec()
    else:
        em.lifecycle = LifecycleSpec()
    return ok(_describe(request))


def routes(prefix: str) -> list[BaseRoute]:
    return [
        Route(f"{prefix}/lifecycle", read_lifecycle, methods=["GET"]),
        Route(f"{prefix}/lifecycle", set_lifecycle, methods=["POST"]),
        Route(f"{prefix}/lifecycle", clear_lifecycle, methods=["DELETE"]),
    ]
