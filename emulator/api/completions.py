"""/v1/completions: legacy text completions (gpt-3.5-turbo-instruct, babbage-002, davinci-002, fine-tunes)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain import inference, lenient
from ..domain.inference import legacy
from .chat import event_stream
from .common import emulator, ok, read_json, shared_models, tenant

__all__ = ["routes"]


async def create_completion(request: Request) -> Response:
    body = await read_json(request)
    completion_request = inference.parse_completion(body)
    owner = tenant(request)
    lenient.ensure_model(emulator(request), owner, completion_request.model)
    model = inference.serve(owner, completion_request.model, "completion", shared_models(request))
    completion = legacy.answer(owner, model, completion_request, emulator(request).now())
    if completion_request.stream:
        return event_stream(completion.chunks())
    return ok(completion.to_dict())


def routes() -> list[BaseRoute]:
    return [Route("/v1/completions", create_completion, methods=["POST"])]
