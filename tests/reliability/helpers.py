"""Shared helpers of the reliability tests: big training files, timed requests, OpenAI's error shape."""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import httpx

MB = 1024 * 1024


def training_jsonl(min_bytes: int) -> bytes:
    """A valid chat training file of at least `min_bytes`, every example distinct."""
    lines: list[bytes] = []
    size, n = 0, 0
    while size < min_bytes:
        example = {
            "messages": [
                {"role": "system", "content": "You are a terse assistant for invoice questions."},
                {"role": "user", "content": f"What is the total of invoice number {n} from branch {n % 97}?"},
                {"role": "assistant", "content": f"Invoice {n} totals {n * 7 % 1000}.{n % 100:02d} dollars."},
            ]
        }
        line = json.dumps(example).encode() + b"\n"
        lines.append(line)
        size += len(line)
        n += 1
    return b"".join(lines)


def upload(http: httpx.Client, content: bytes, name: str = "train.jsonl") -> str:
    r = http.post("/v1/files", data={"purpose": "fine-tune"}, files={"file": (name, content)})
    assert r.status_code == 200, r.text
    file_id: str = r.json()["id"]
    return file_id


def timed(call: object) -> float:
    """Seconds one call took (perf counter), the call's result checked by the caller."""
    assert callable(call)
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def median_latency(http: httpx.Client, path: str, samples: int) -> float:
    def get() -> None:
        r = http.get(path)
        assert r.status_code == 200, r.text

    return statistics.median(timed(get) for _ in range(samples))


def assert_openai_error(
    response: httpx.Response, status: int, type_: str = "invalid_request_error"
) -> dict[str, Any]:
    """The response is OpenAI's error envelope with `status`, `type` and a request id."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers.get("x-request-id", "").startswith("req_")
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == type_
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)
