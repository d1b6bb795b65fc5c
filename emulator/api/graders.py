"""/v1/fine_tuning/alpha/graders: validate a grader, or run it on one model sample."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain import graders
from ..params import Param
from .common import emulator, ok, read_json

__all__ = ["routes"]

_VALIDATE = {"grader": Param("object", required=True, nullable=False)}
_RUN = {
    **_VALIDATE,
    "model_sample": Param("string", required=True, nullable=False),
    "item": Param("object"),
}


async def validate_grader(request: Request) -> Response:
    body = await read_json(request, _VALIDATE)
    return ok({"grader": graders.check_grader(body["grader"])})


async def run_grader(request: Request) -> Response:
    body = await read_json(request, _RUN)
    seed = emulator(request).seed
    return ok(graders.run_grader(seed, body["grader"], body["model_sample"], body.get("item") or {}))


def routes() -> list[BaseRoute]:
    base = "/v1/fine_tuning/alpha/graders"
    return [
        Route(base + "/validate", validate_grader, methods=["POST"]),
        Route(base + "/run", run_grader, methods=["POST"]),
    ]
