"""/v1/moderations: the training-data safety classifier, in OpenAI's response shape."""

from __future__ import annotations

import re
from typing import Any

import httpx
import openai
import pytest

from emulator.domain.moderation import CATEGORIES, classify


def test_text_is_classified_with_every_category(client: openai.OpenAI) -> None:
    result = client.moderations.create(input="I will kill you")
    assert re.fullmatch(r"modr-[A-Za-z0-9]{29}", result.id)
    assert result.model == "omni-moderation-latest"
    verdict = result.results[0]
    assert verdict.flagged and verdict.categories.violence
    expected = classify("I will kill you").to_dict()
    assert (
        verdict.model_dump(by_alias=True, exclude_none=True)["category_scores"] == expected["category_scores"]
    )
    assert set(verdict.model_dump(by_alias=True)["categories"]) == set(CATEGORIES)


def test_harmless_text_is_not_flagged_and_lists_give_one_result_each(client: openai.OpenAI) -> None:
    result = client.moderations.create(
        input=["kill the process", "hello", "[moderation:hate]"], model="text-moderation-latest"
    )
    assert [r.flagged for r in result.results] == [False, False, True]
    assert result.model == "text-moderation-latest"


def test_multimodal_parts_give_one_result_with_image_input_types(client: openai.OpenAI) -> None:
    parts: Any = [
        {"type": "text", "text": "a calm lake"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
    ]
    result = client.moderations.create(model="omni-moderation-2024-09-26", input=parts)
    assert len(result.results) == 1
    applied = result.results[0].model_dump(by_alias=True)["category_applied_input_types"]
    assert applied["violence"] == ["text", "image"] and applied["hate"] == ["text"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (
            {},
            400,
            {
                "message": "Missing required parameter: 'input'.",
                "param": "input",
                "code": "missing_required_parameter",
            },
        ),
        (
            {"input": []},
            400,
            {
                "message": "Invalid 'input': empty array. Expected an array with minimum length 1, but "
                "got an empty array instead.",
                "param": "input",
                "code": "empty_array",
            },
        ),
        (
            {"input": 3},
            400,
            {
                "message": "Invalid type for 'input': expected one of a string, array of strings, or "
                "array of objects, but got an integer instead.",
                "param": "input",
                "code": "invalid_type",
            },
        ),
        (
            {"input": "x", "model": "gpt-4o"},
            404,
            {
                "message": "The model `gpt-4o` does not exist or you do not have access to it.",
                "param": None,
                "code": "model_not_found",
            },
        ),
    ],
)
def test_refusals(http: httpx.Client, body: dict[str, Any], status: int, error: dict[str, Any]) -> None:
    response = http.post("/v1/moderations", json=body)
    assert response.status_code == status
    assert response.json() == {"error": {**error, "type": "invalid_request_error"}}
