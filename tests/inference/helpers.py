"""Shared helpers for the inference tests: raw SSE reading and spec checks of every stream chunk."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import httpx
import openai

from emulator.domain.inference import remember
from emulator.domain.models import ModelRecord
from emulator.domain.state import Emulator

from .. import contract
from ..conftest import API_KEY

CHAT_CHUNK = "/components/schemas/CreateChatCompletionStreamResponse"
COMPLETION_CHUNK = "/components/schemas/CreateCompletionResponse"


def check_chunk(chunk: dict[str, Any], pointer: str) -> None:
    """Fail unless `chunk` validates against the spec's schema at `pointer`.

    The spec's `nullable: true` is read as OpenAPI means it (see emulator.contract). Legacy completion
    chunks carry `finish_reason: null` until their last chunk, as OpenAI streams them (and as the spec's
    own streaming example shows), though the shared response schema does not allow null there; that field
    is checked apart.
    """
    validator = contract.load().validator(pointer)
    body = chunk
    if pointer == COMPLETION_CHUNK:
        body = copy.deepcopy(chunk)
        for choice in body["choices"]:
            assert choice["finish_reason"] in (None, "stop", "length", "content_filter")
            if choice["finish_reason"] is None:
                choice["finish_reason"] = "stop"
    errors = list(validator.iter_errors(body))
    assert not errors, f"chunk violates {pointer}: {[e.message for e in errors[:3]]}\n{chunk}"


def sse(
    http: httpx.Client, path: str, body: dict[str, Any], pointer: str = CHAT_CHUNK
) -> list[dict[str, Any]]:
    """POST a streaming request and return its chunks, each checked against the spec; asserts the framing."""
    response = http.post(path, json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert events[-1] == "" and events[-2] == "data: [DONE]"
    chunks = []
    for event in events[:-2]:
        assert event.startswith("data: ")
        chunk = json.loads(event[len("data: ") :])
        check_chunk(chunk, pointer)
        chunks.append(chunk)
    return chunks


def streamed_text(chunks: list[dict[str, Any]], index: int = 0) -> str:
    return "".join(
        c["choices"][0]["delta"].get("content") or ""
        for c in chunks
        if c["choices"] and c["choices"][0]["index"] == index
    )


def upload(client: openai.OpenAI, lines: list[dict[str, Any]], name: str = "train.jsonl") -> str:
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    return client.files.create(file=(name, io.BytesIO(data)), purpose="fine-tune").id


def learned_model(
    emulator: Emulator,
    lines: list[dict[str, Any]],
    base: str = "gpt-3.5-turbo-0125",
    kind: str = "chat",
    model_id: str | None = None,
) -> str:
    """Register a fine-tuned model that learned `lines`, straight in the domain (no job needed)."""
    tenant = emulator.tenant(API_KEY)
    model_id = model_id or f"ft:{base}:personal::learned{len(tenant.models)}"
    now = int(emulator.now())
    tenant.models.add(ModelRecord(id=model_id, created=now, owned_by="user", base=base))
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    remember(tenant, model_id, emulator.blobs.from_bytes(data), kind)
    return model_id
