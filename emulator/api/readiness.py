"""/healthz: the readiness probe a pipeline or container waits on (outside /v1, no API key needed)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .. import __version__
from .common import ok

__all__ = ["routes"]


async def healthz(request: Request) -> Response:
    """200 once the app has started and answers requests."""
    return ok({"status": "ok", "version": __version__})


def routes() -> list[BaseRoute]:
    return [Route("/healthz", healthz, methods=["GET", "HEAD"])]
