"""/v1/chat/completions: a base, fine-tuned or checkpoint model answers, as JSON or as an SSE stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from ..domain import inference, lenient, lifecycle, stored
from ..domain.inference import memory
from ..domain.state import Tenant
from .common import emulator, off_loop, ok, page_params, read_json, shared_models, tenant

__all__ = ["event_stream", "routes", "shaped"]


def event_stream(
    chunks: Iterable[dict[str, Any] | bytes],
    on_end: Callable[[], object] | None = None,
    *,
    shaped: bool = True,
) -> StreamingResponse:
    """`data: {json}` events, then `data: [DONE]`, as OpenAI streams; `on_end` runs once all is sent.
    A chunk may come encoded already. `shaped=False` says no scenario rule can delay or hold the stream."""

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            encoded = chunk if isinstance(chunk, bytes) else _encode(chunk)
            yield b"data: " + encoded + b"\n\n"
        yield b"data: [DONE]\n\n"
        if on_end is not None:
            on_end()

    kind = StreamingResponse if shaped else _UnheldStream
    return kind(body(), media_type="text/event-stream", headers={"cache-control": "no-cache"})


def _encode(chunk: dict[str, Any]) -> bytes:
    return json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode()


class _UnheldStream(StreamingResponse):
    """A stream nothing can delay or hold: its events are in memory and go out one after another without
    pause, so Starlette's task watching for the client to leave (which cancels a stream held open) has
    nothing to cut short; a departed client's events are dropped by the server. Same messages, same
    bytes, without that task."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        await self.stream_response(send)
        if self.background is not None:
            await self.background()


def shaped(request: Request) -> bool:
    """Whether a scenario rule fired for this request (it may delay, stall or cut its stream)."""
    return bool(request.scope.get("state", {}).get("journal_rule"))


async def create_chat_completion(request: Request) -> Response:
    body = await read_json(request)
    chat = inference.parse_chat(body)
    owner = tenant(request)
    em = emulator(request)
    lenient.ensure_model(em, owner, chat.model)
    model = inference.serve(owner, chat.model, "chat", shared_models(request))
    now = em.now()
    lifecycle.check_serving(em, owner, chat.model, model.base.id, model.fine_tuned, now)
    inference.check_model_params(body, model.reasoning)
    # what the model learned is read from its training bytes off the loop, the first time
    if model.record is not None and memory.learned(owner, model.record) is None:
        await off_loop(request, memory.memory_for, owner, model.record, "chat")
    completion = inference.answer_chat(owner, model, chat, now)

    def keep() -> None:
        stored.store_completion(owner, completion.to_dict(), body, request.state.request_id)

    if chat.stream:  # a stored stream is kept whole once its last event has gone out
        on_end = keep if body.get("store") else None
        return event_stream(completion.encoded_chunks(), on_end, shaped=shaped(request))
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
