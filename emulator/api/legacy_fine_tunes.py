"""/v1/fine-tunes: the legacy fine-tunes API, shut down on 2024-01-04, answering as OpenAI does today.

Every route of the old API (create, list, retrieve, cancel, events) is a 404 `Invalid URL (<METHOD>
<path>)` in OpenAI's envelope (reference §13: the status is observed, the body is the generic shape).
The routes are spelled out so that the behaviour is deliberate and documented, not an accident of routing.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..errors import invalid_url

__all__ = ["routes"]


async def gone(request: Request) -> Response:
    raise invalid_url(request.method, request.url.path)


def routes() -> list[BaseRoute]:
    methods = ["GET", "POST", "DELETE"]
    return [
        Route("/v1/fine-tunes", gone, methods=methods),
        Route("/v1/fine-tunes/{fine_tune_id}", gone, methods=methods),
        Route("/v1/fine-tunes/{fine_tune_id}/cancel", gone, methods=methods),
        Route("/v1/fine-tunes/{fine_tune_id}/events", gone, methods=methods),
    ]
