"""Shared helpers for the inference tests: raw SSE reading and spec checks of every stream chunk."""

from __future__ import annotations

import copy
import io
import json
from functools import cache
from typing import Any

import httpx
import openai
from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from emulator.domain.inference import remember
from emulator.domain.models import ModelRecord
from emulator.domain.state import Emulator

from .. import contract
from ..conftest import API_KEY

CHAT_CHUNK = "/components/schemas/CreateChatCompletionStreamResponse"
COMPLETION_CHUNK = "/components/schemas/CreateCompletionResponse"


def _openapi_nullable(node: Any) -> Any:
    """OpenAPI's `nullable: true` (which JSON Schema ignores) as the `anyOf [..., null]` it means."""
    if isinstance(node, list):
        return [_openapi_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _openapi_nullable(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _validator(pointer: str) -> Draft202012Validator | None:
    spec = contract.load()
    if spec is None:
        return None
    uri = "urn:openai-openapi-nullable"
    registry: Registry = Registry().with_resource(
        uri, Resource.from_contents(_openapi_nullable(spec._spec), DRAFT202012)
    )
    return Draft202012Validator({"$ref": f"{uri}#{pointer}"}, registry=registry)


def check_chunk(chunk: dict[str, Any], pointer: str) -> None:
    """Fail unless `chunk` validates against the spec's schema at `pointer`.

    The spec's `nullable: true` is read as OpenAPI means it (null allowed). Legacy completion chunks carry
    `finish_reason: null` until their last chunk, as OpenAI streams them (and as the spec's own streaming
    example shows), though the shared response schema does not allow null there; that field is checked apart.
    """
    validator = _validator(pointer)
    if validator is None:
        return
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
