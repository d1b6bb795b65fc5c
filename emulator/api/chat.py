"""/v1/chat/completions: a base, fine-tuned or checkpoint model answers, as JSON or as an SSE stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..domain import inference, lifecycle
from .common import emulator, ok, read_json, tenant

__all__ = ["event_stream", "routes"]


def event_stream(chunks: Iterable[dict[str, Any]]) -> StreamingResponse:
    """`data: {json}` events, then `data: [DONE]`, as OpenAI streams."""

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield b"data: " + json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"

    return StreamingResponse(body(), media_type="text/event-stream", headers={"cache-control": "no-cache"})


async def create_chat_completion(request: Request) -> Response:
    body = await read_json(request)
    chat = inference.parse_chat(body)
    owner = tenant(request)
    model = inference.serve(owner, chat.model, "chat")
    now = emulator(request).now()
    lifecycle.check_serving(emulator(request), owner, chat.model, model.base.id, model.fine_tuned, now)
    inference.check_model_params(body, model.reasoning)
    completion = inference.answer_chat(owner, model, chat, now)
    if chat.stream:
        return event_stream(completion.chunks())
    return ok(completion.to_dict())


def routes() -> list[BaseRoute]:
    return [Route("/v1/chat/completions", create_chat_completion, methods=["POST"])]
