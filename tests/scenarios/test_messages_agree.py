"""A simulated error's words agree with the data beside it: a canned 429's wait, retry-after and
x-ratelimit-* headers state one number, whichever wait the rule asks for."""

from __future__ import annotations

import math
import re

import httpx
import openai
import pytest


@pytest.mark.parametrize(
    ("fault", "wait", "bucket", "limit", "remaining"),
    [
        ("rate_limit_exceeded", 20.0, "requests", "3", "0"),
        ("tokens_rate_limit_exceeded", 9.816, "tokens", "10000", "1446"),
        ("rate_limit_exceeded;retry-after=5", 5.0, "requests", "3", "0"),
        ("rate_limit_exceeded;retry-after-ms=1500", 1.5, "requests", "3", "0"),
    ],
)
def test_a_canned_429_message_agrees_with_its_headers(
    http: httpx.Client, fault: str, wait: float, bucket: str, limit: str, remaining: str
) -> None:
    response = http.get("/v1/models", headers={"X-Emulator-Fault": fault})
    assert response.status_code == 429
    message = response.json()["error"]["message"]
    said = re.search(r"Please try again in ([\d.]+)s\.", message)
    assert said and float(said.group(1)) == wait
    numbers = re.search(r"Limit (\d+), Used (\d+)", message)
    assert numbers and numbers.group(1) == limit
    assert int(limit) - int(numbers.group(2)) == int(remaining)
    headers = response.headers
    assert headers["retry-after"] == str(max(1, math.ceil(wait)))
    assert headers[f"x-ratelimit-limit-{bucket}"] == limit
    assert headers[f"x-ratelimit-remaining-{bucket}"] == remaining
    assert headers[f"x-ratelimit-reset-{bucket}"] == f"{wait:g}s"
    assert message.startswith("Rate limit reached in organization org-")  # no made-up model name


def test_the_sdk_waits_as_long_as_the_message_says(client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        client.with_options(max_retries=0).models.list(
            extra_headers={"X-Emulator-Fault": "rate_limit_exceeded;retry-after-ms=10"}
        )
    assert "Please try again in 0.01s." in info.value.message
    assert info.value.response.headers["retry-after-ms"] == "10"
