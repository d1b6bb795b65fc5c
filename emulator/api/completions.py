"""/v1/completions: legacy text completions (gpt-3.5-turbo-instruct, babbage-002, davinci-002, fine-tunes)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain import inference, lenient, lifecycle
from ..domain.inference import legacy, memory
from .chat import event_stream, shaped
from .common import emulator, off_loop, ok, read_json, shared_models, tenant

__all__ = ["routes"]


async def create_completion(request: Request) -> Response:
    body = await read_json(request)
    completion_request = inference.parse_completion(body)
    owner = tenant(request)
    em = emulator(request)
    lenient.ensure_model(em, owner, completion_request.model)
    model = inference.serve(owner, completion_request.model, "completion", shared_models(request))
    now = em.now()
    lifecycle.check_serving(em, owner, completion_request.model, model.base.id, model.fine_tuned, now)
    # what the model learned is read from its training bytes off the loop, the first time
    if model.record is not None and memory.learned(owner, model.record) is None:
        await off_loop(request, memory.memory_for, owner, model.record, "completion")
    completion = legacy.answer(owner, model, completion_request, now)
    if completion_request.stream:
        return event_stream(completion.chunks(), shaped=shaped(request))
    return ok(completion.to_dict())


def routes() -> list[BaseRoute]:
    return [Route("/v1/completions", create_completion, methods=["POST"])]
