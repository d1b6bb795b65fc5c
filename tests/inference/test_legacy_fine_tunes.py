"""/v1/fine-tunes was shut down on 2024-01-04: every route answers OpenAI's 404 `Invalid URL`."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/fine-tunes"),
        ("GET", "/v1/fine-tunes"),
        ("GET", "/v1/fine-tunes/ft-abc"),
        ("POST", "/v1/fine-tunes/ft-abc/cancel"),
        ("GET", "/v1/fine-tunes/ft-abc/events"),
    ],
)
def test_legacy_fine_tunes_routes_are_gone(http: httpx.Client, method: str, path: str) -> None:
    response = http.request(method, path, json={"training_file": "file-x"} if method == "POST" else None)
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "message": f"Invalid URL ({method} {path})",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
