"""A JSON request body read ahead by a middleware, then handed on unchanged to the app inside it."""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.types import Message, Receive

from .jsonbody import parse_json

__all__ = ["MAX_JSON_BODY", "read_json_body"]

MAX_JSON_BODY = 16 * 1024 * 1024  # read ahead no further: a larger body goes on for the handler to refuse


async def read_json_body(receive: Receive, limit: int = MAX_JSON_BODY) -> tuple[Any, Receive]:
    """The body decoded by the bounded parser (None: empty, not JSON, over `limit` or cut short), and a
    receive that gives the app every message read here, then the client's own."""
    chunks: list[bytes] = []
    size = 0
    tail: list[Message] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            tail.append(message)
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body", False) or size > limit:
            break
    raw = b"".join(chunks)
    complete = not tail and size <= limit
    pending: list[Message] = [
        {"type": "http.request", "body": raw, "more_body": not complete and not tail},
        *tail,
    ]

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    body = None
    if complete and raw.strip():
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            body = parse_json(raw)
    return body, replay
