"""/v1/moderations: the same deterministic classifier that screens training files, in OpenAI's shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain import models
from ..domain.moderation import CATEGORIES, classify
from ..errors import InvalidRequestError, NotFoundError
from ..params import Param, describe
from .common import ok, read_json, tenant

__all__ = ["routes"]

# Categories the omni models also score on images (the spec's `category_applied_input_types` enums).
_IMAGE_CATEGORIES = {
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "violence",
    "violence/graphic",
}
_SCHEMA = {"input": Param(required=True, nullable=False), "model": Param("string")}


def _inputs(value: Any) -> list[tuple[str, bool]]:
    """(text, has image) per result: a string or each string of a list, or one result for a list of parts."""
    expected = "one of a string, array of strings, or array of objects"
    if isinstance(value, str):
        return [(value, False)]
    if not isinstance(value, list):
        raise InvalidRequestError(
            f"Invalid type for 'input': expected {expected}, but got {describe(value)} instead.",
            param="input",
            code="invalid_type",
        )
    if not value:
        raise InvalidRequestError(
            "Invalid 'input': empty array. Expected an array with minimum length 1, but got an empty array "
            "instead.",
            param="input",
            code="empty_array",
        )
    if all(isinstance(item, str) for item in value):
        return [(item, False) for item in value]
    texts, image = [], False
    for i, part in enumerate(value):
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url" and isinstance(part.get("image_url"), Mapping):
            image = True
        else:
            raise InvalidRequestError(
                f"Invalid value: '{kind}'. Supported values are: 'text' and 'image_url'.",
                param=f"input[{i}].type",
                code="invalid_value",
            )
    return [(" ".join(texts), image)]


def _result(text: str, image: bool) -> dict[str, Any]:
    body = classify(text).to_dict()
    if image:
        body["category_applied_input_types"] = {
            c: ["text", "image"] if c in _IMAGE_CATEGORIES else ["text"] for c in CATEGORIES
        }
    return body


async def create_moderation(request: Request) -> Response:
    body = await read_json(request, _SCHEMA)
    model_id = body.get("model") or "omni-moderation-latest"
    base = models.base_model(model_id)
    if base is None or base.kind != "moderation":
        raise NotFoundError(
            f"The model `{model_id}` does not exist or you do not have access to it.", code="model_not_found"
        )
    results = [_result(text, image) for text, image in _inputs(body["input"])]
    return ok({"id": tenant(request).ids.new("modr-", 29), "model": model_id, "results": results})


def routes() -> list[BaseRoute]:
    return [Route("/v1/moderations", create_moderation, methods=["POST"])]
