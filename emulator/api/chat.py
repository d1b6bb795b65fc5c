"""/v1/chat/completions: a base, fine-tuned or checkpoint model answers, as JSON or as an SSE stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..domain import inference, lenient, stored
from ..domain.state import Tenant
from .common import emulator, ok, page_params, read_json, shared_models, tenant

__all__ = ["event_stream", "routes"]


def event_stream(
    chunks: Iterable[dict[str, Any]], on_end: Callable[[], object] | None = None
) -> StreamingResponse:
    """`data: {json}` events, then `data: [DONE]`, as OpenAI streams; `on_end` runs once all is sent."""

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield b"data: " + json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"
        if on_end is not None:
            on_end()

    return StreamingResponse(body(), media_type="text/event-stream", headers={"cache-control": "no-cache"})


async def create_chat_completion(request: Request) -> Response:
    body = await read_json(request)
    chat = inference.parse_chat(body)
    owner = tenant(request)
    lenient.ensure_model(emulator(request), owner, chat.model)
    model = inference.serve(owner, chat.model, "chat", shared_models(request))
    inference.check_model_params(body, model.reasoning)
    completion = inference.answer_chat(owner, model, chat, emulator(request).now())

    def keep() -> None:
        stored.store_completion(owner, completion.to_dict(), body, request.state.request_id)

    if chat.stream:  # a stored stream is kept whole once its last event has gone out
        return event_stream(completion.chunks(), keep if body.get("store") else None)
    if body.get("store"):
        keep()
    return ok(completion.to_dict())


async def list_chat_completions(request: Request) -> Response:
    params = page_params(request, default_limit=20, max_limit=100, orders=("asc", "desc"))
    page = stored.list_completions(tenant(request), query=request.query_params, **params)
    return ok(page.to_dict(stored.StoredCompletion.to_dict, cursors=True, empty_cursor=""))


def _owner(request: Request) -> Tenant:
    """The caller's tenant, with the path's stored completion materialized first in lenient mode."""
    owner = tenant(request)
    completion_id = request.path_params["completion_id"]
    lenient.ensure_completion(emulator(request), owner, completion_id, request.state.request_id)
    return owner


async def retrieve_chat_completion(request: Request) -> Response:
    return ok(stored.get_completion(_owner(request), request.path_params["completion_id"]).to_dict())


async def update_chat_completion(request: Request) -> Response:
    owner, body = _owner(request), await read_json(request)
    return ok(stored.update_completion(owner, request.path_params["completion_id"], body).to_dict())


async def delete_chat_completion(request: Request) -> Response:
    return ok(stored.delete_completion(_owner(request), request.path_params["completion_id"]))


async def list_chat_messages(request: Request) -> Response:
    params = page_params(request, default_limit=20, max_limit=100, orders=("asc", "desc"))
    return ok(stored.list_messages(_owner(request), request.path_params["completion_id"], **params))


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/chat/completions", create_chat_completion, methods=["POST"]),
        Route("/v1/chat/completions", list_chat_completions, methods=["GET"]),
        Route("/v1/chat/completions/{completion_id}", retrieve_chat_completion, methods=["GET"]),
        Route("/v1/chat/completions/{completion_id}", update_chat_completion, methods=["POST"]),
        Route("/v1/chat/completions/{completion_id}", delete_chat_completion, methods=["DELETE"]),
        Route("/v1/chat/completions/{completion_id}/messages", list_chat_messages, methods=["GET"]),
    ]
