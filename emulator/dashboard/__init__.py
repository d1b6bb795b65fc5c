"""The dashboard at /dashboard: server-rendered pages over the same domain services as the API."""

from __future__ import annotations

from pathlib import Path

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from . import files, jobs, models, tools
from .web import PREFIX, ControlGuard, render

__all__ = ["PREFIX", "routes"]


async def _not_found(request: Request) -> Response:
    return render(
        request, "404.html", status_code=404, message=f"There is no dashboard page at {request.url.path}."
    )


def routes(control_key: str = "") -> list[BaseRoute]:
    org = "/o/{org}"
    pages: list[BaseRoute] = [
        Route("/", tools.home, methods=["GET"]),
        Route("/switch", tools.switch_tenant, methods=["GET"]),
        Route("/clock", tools.clock_widget, methods=["GET"]),
        Route("/clock", tools.set_clock, methods=["POST"]),
        Route("/clock/advance", tools.advance_clock, methods=["POST"]),
        Route("/journal", tools.journal_page, methods=["GET"]),
        Route(f"{org}/jobs", jobs.jobs_page, methods=["GET"]),
        Route(f"{org}/jobs/table", jobs.jobs_table, methods=["GET"]),
        Route(f"{org}/jobs/{{job_id}}", jobs.job_page, methods=["GET"]),
        Route(f"{org}/jobs/{{job_id}}/live", jobs.job_live, methods=["GET"]),
        Route(f"{org}/jobs/{{job_id}}/{{action}}", jobs.job_action, methods=["POST"]),
        Route(f"{org}/files", files.files_page, methods=["GET"]),
        Route(f"{org}/files/{{file_id}}", files.file_page, methods=["GET"]),
        Route(f"{org}/files/{{file_id}}/content", files.file_download, methods=["GET"]),
        Route(f"{org}/models", models.models_page, methods=["GET"]),
        Route(f"{org}/playground", models.playground, methods=["POST"]),
        Route(f"{org}/scenarios", tools.scenarios_page, methods=["GET"]),
        Route(f"{org}/scenarios/enable", tools.enable_scenario, methods=["POST"]),
        Route(f"{org}/scenarios/disable", tools.disable_scenario, methods=["POST"]),
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
        Route("/{rest:path}", _not_found),
    ]
    guarded = [Middleware(ControlGuard, control_key=control_key)]
    return [
        Route(PREFIX, lambda request: RedirectResponse(PREFIX + "/"), methods=["GET"]),
        Mount(PREFIX, routes=pages, middleware=guarded),
    ]
