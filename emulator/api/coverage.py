"""/_emulator/coverage: the coverage report and client verdict of a dev server's session, per tenant."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..coverage import Coverage, ObservationLog
from .common import ok

__all__ = ["routes"]


async def coverage_report(request: Request) -> Response:
    """Everything observed since start (or the last `?reset=true`), grouped by organization."""
    log: ObservationLog = request.app.state.observations
    observations = log.take() if request.query_params.get("reset") == "true" else log.snapshot()
    coverage = Coverage()
    for obs in observations:
        coverage.add(obs.organization or "unauthenticated", [obs])
    return ok(coverage.report())


def routes() -> list[BaseRoute]:
    return [Route("/_emulator/coverage", coverage_report, methods=["GET"])]
