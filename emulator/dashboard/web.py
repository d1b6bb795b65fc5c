"""What every dashboard page shares: the Jinja2 environment, the access guard, tenant lookup and the HTML
error pages (a friendly 404; a refused action shows the API's own message)."""

from __future__ import annotations

import datetime
import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import __version__
from ..domain.state import Emulator, Tenant
from ..domain.tenancy import mask_key
from ..errors import APIError, NotFoundError

__all__ = ["ControlGuard", "Endpoint", "emulator", "page", "render", "tenant_of", "url"]

PREFIX = "/dashboard"
KEY_HEADER = "x-emulator-control-key"
KEY_COOKIE = "emulator_control_key"
_HERE = Path(__file__).parent
Endpoint = Callable[[Request], Awaitable[Response]]

STATUS_TONE = {  # one colour per status, everywhere a status is shown
    "validating_files": "info",
    "queued": "neutral",
    "running": "active",
    "paused": "warn",
    "succeeded": "good",
    "failed": "bad",
    "cancelled": "muted",
    "processed": "good",
    "uploaded": "neutral",
    "error": "bad",
}


def _when(ts: float | None) -> str:
    if ts is None:
        return "—"
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _http_tone(status: int) -> str:
    if not status or status >= 500:
        return "bad"  # 0: the connection was dropped (a scenario fault)
    if status >= 400:
        return "warn"
    return "good"


def url(path: str, /, **query: Any) -> str:
    """A dashboard URL; query values that are None or empty are left out."""
    kept = {k: v for k, v in query.items() if v not in (None, "")}
    return PREFIX + path + ("?" + urlencode(kept) if kept else "")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=_when,
        size=_size,
        tone=lambda status: STATUS_TONE.get(status, "neutral"),
        http_tone=_http_tone,
        pretty=lambda value: json.dumps(value, indent=2, ensure_ascii=False, default=str),
        money=lambda value: f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}",
        count=lambda value: f"{value:,}",
        mask=mask_key,
    )
    env.globals.update(url=url, version=__version__)
    return env


_ENV = _environment()


def emulator(request: Request) -> Emulator:
    em: Emulator = request.app.state.emulator
    return em


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template (a page, or a fragment that htmx swaps in) with what every page shows."""
    em = emulator(request)
    context.setdefault("tenants", sorted(em.tenants(), key=lambda t: t.organization.name))
    context.setdefault("current", None)
    context.update(request=request, now=em.now(), clock=em.clock, hx=bool(request.headers.get("hx-request")))
    html = _ENV.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers={"cache-control": "no-store"})


def tenant_of(request: Request) -> Tenant:
    """The tenant named in the path (`org`), settled to now, or a 404 page."""
    em = emulator(request)
    found = em.find_tenant(request.path_params["org"])
    if found is None:
        raise NotFoundError(f"No organization {request.path_params['org']!r} has called the emulator yet.")
    found.settle(em.now())
    return found


def page(handler: Endpoint) -> Endpoint:
    """Turn the domain's errors into HTML: unknown ids get the 404 page, refusals the API's own message."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except NotFoundError as exc:
            return render(request, "404.html", status_code=404, message=exc.message)
        except APIError as exc:
            return render(
                request, "refused.html", status_code=exc.status_code, message=exc.message, code=exc.code
            )

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


class ControlGuard:
    """Who may use the dashboard: loopback clients always; others only with the control key (header,
    cookie, or `?key=` once, which sets the cookie). State-changing requests must come from the page itself
    (htmx's `HX-Request` header or a same-origin `Origin`), so another site cannot drive it."""

    def __init__(self, app: ASGIApp, control_key: str) -> None:
        self.app = app
        self.control_key = control_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self._refusal(request)
        if refusal is not None:
            await _plain(refusal)(scope, receive, send)
            return
        given = request.query_params.get("key")
        if given and self._key_ok(given):
            response = RedirectResponse(str(request.url.remove_query_params("key")), status_code=303)
            response.set_cookie(KEY_COOKIE, given, httponly=True, samesite="strict")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, request: Request) -> str | None:
        client = request.client.host if request.client else ""
        if not _is_loopback(client):
            supplied = request.headers.get(KEY_HEADER) or request.cookies.get(KEY_COOKIE) or ""
            supplied = supplied or request.query_params.get("key", "")
            if not self.control_key:
                return (
                    "The dashboard answers loopback clients only. Start the emulator with a control key "
                    "(EMULATOR_CONTROL_KEY) to open it to other machines."
                )
            if not self._key_ok(supplied):
                return "Give the control key: open the dashboard once with ?key=YOUR_CONTROL_KEY."
        if request.method not in ("GET", "HEAD") and not request.headers.get("hx-request"):
            origin = request.headers.get("origin")
            if origin is None or origin != f"{request.url.scheme}://{request.url.netloc}":
                return "Dashboard actions must come from the dashboard page itself."
        return None

    def _key_ok(self, supplied: str) -> bool:
        return bool(self.control_key) and hmac.compare_digest(supplied.encode(), self.control_key.encode())


def _plain(message: str) -> HTMLResponse:
    body = _ENV.get_template("forbidden.html").render(message=message)
    return HTMLResponse(body, status_code=403)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
