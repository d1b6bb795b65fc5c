"""Hostile or absurd input costs the sender a 400 in OpenAI's envelope, never a 5xx, a 429, a traceback or
a broken connection."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from emulator import EmulatorServer
from emulator.domain.state import Emulator

from .helpers import assert_openai_error

CHAT = "/v1/chat/completions"
USER = [{"role": "user", "content": "hi"}]


def _post_raw(http: httpx.Client, path: str, body: str) -> httpx.Response:
    return http.post(path, content=body.encode(), headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    "path", [CHAT, "/v1/completions", "/v1/fine_tuning/jobs", "/v1/uploads", "/v1/moderations"]
)
def test_deeply_nested_json_is_an_unparsable_body_and_the_connection_stays_usable(
    http: httpx.Client, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="emulator"):
        r = _post_raw(http, path, "[" * 5000 + "]" * 5000)
    error = assert_openai_error(r, 400)
    assert error["message"].startswith("We could not parse the JSON body of your request.")
    assert r.headers.get("connection") != "close"
    assert not [rec for rec in caplog.records if rec.exc_info], (
        "a client's mistake is logged without a traceback"
    )
    assert http.get("/v1/models").status_code == 200  # the same keep-alive client goes on working


def test_nesting_beyond_the_depth_limit_is_refused_even_when_python_could_parse_it(
    http: httpx.Client,
) -> None:
    body = {"model": "gpt-4o-mini", "messages": USER, "metadata": {"a": json.loads("[" * 100 + "]" * 100)}}
    assert_openai_error(_post_raw(http, CHAT, json.dumps(body)), 400)


def test_a_body_over_the_size_limit_is_413_in_the_envelope(
    server: EmulatorServer, emulator: Emulator
) -> None:
    limit = emulator.settings.max_json_bytes
    with httpx.Client(base_url=server.url, headers={"Authorization": "Bearer sk-size"}) as raw:
        r = _post_raw(raw, CHAT, json.dumps({"model": "gpt-4o-mini", "messages": USER, "x": "a" * limit}))
        error = assert_openai_error(r, 413, "server_error")
        assert error["message"].startswith(f"Maximum content size limit ({limit}) exceeded")
        assert raw.get("/v1/models").status_code == 200


@pytest.mark.parametrize(
    ("literal", "shown"), [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity")]
)
def test_non_finite_numbers_name_the_parameter(http: httpx.Client, literal: str, shown: str) -> None:
    r = _post_raw(
        http, CHAT, f'{{"model": "gpt-4o-mini", "messages": {json.dumps(USER)}, "temperature": {literal}}}'
    )
    error = assert_openai_error(r, 400)
    assert error == {
        "message": f"Invalid 'temperature': expected a finite number, but got {shown} instead.",
        "type": "invalid_request_error",
        "param": "temperature",
        "code": "invalid_value",
    }


@pytest.mark.parametrize("value", ["1e30", "99999999999999999999999", "1e400"])
def test_absurd_max_tokens_is_a_400_never_a_429(http: httpx.Client, value: str) -> None:
    r = _post_raw(
        http, CHAT, f'{{"model": "gpt-4o-mini", "messages": {json.dumps(USER)}, "max_tokens": {value}}}'
    )
    error = assert_openai_error(r, 400)
    assert error["param"] == "max_tokens"


def _remaining_tokens(http: httpx.Client) -> str:
    r = http.post(CHAT, json={"model": "gpt-4o-mini", "messages": USER, "max_tokens": 5})
    assert r.status_code == 200, r.text
    return r.headers["x-ratelimit-remaining-tokens"]


def test_refused_requests_are_never_charged_tokens(http: httpx.Client, emulator: Emulator) -> None:
    untouched = _remaining_tokens(http)
    emulator.reset()
    refused = [
        {"model": "gpt-4o-mini", "messages": USER, "max_tokens": 9_000_000},  # beyond the model's output
        {"model": "gpt-4o-mini", "messages": USER * 50, "max_tokens": 16_000, "temperature": 7},
        {"model": "gpt-4o-mini", "messages": USER * 50, "max_tokens": 16_000, "top_k": 3},
        {"model": "no-such-model", "messages": USER * 50, "max_tokens": 1000},
    ]
    for body in refused:
        assert 400 <= http.post(CHAT, json=body).status_code < 500
    assert _remaining_tokens(http) == untouched


def test_expires_after_as_a_json_part_is_refused_as_openai_does(http: httpx.Client) -> None:
    """OpenAI rejects a JSON-valued `expires_after` part (openai/openai-ruby#212, vercel/ai#18224); the
    bracketed fields the SDKs send work."""
    files = {"file": ("a.jsonl", b'{"prompt": "a", "completion": "b"}\n')}
    part = json.dumps({"anchor": "created_at", "seconds": 3600})
    r = http.post(
        "/v1/files",
        data={"purpose": "fine-tune"},
        files={**files, "expires_after": (None, part, "application/json")},
    )
    error = assert_openai_error(r, 400)
    assert error["message"] == "Additional properties are not allowed ('expires_after' was unexpected)"
    r = http.post(
        "/v1/files",
        data={
            "purpose": "fine-tune",
            "expires_after[anchor]": "created_at",
            "expires_after[seconds]": "3600",
        },
        files=files,
    )
    assert r.status_code == 200 and r.json()["expires_at"] == r.json()["created_at"] + 3600


def test_oversized_headers_get_the_envelope_and_the_server_goes_on(
    server: EmulatorServer, emulator: Emulator
) -> None:
    with httpx.Client(base_url=server.url, headers={"Authorization": "Bearer sk-headers"}) as raw:
        r = raw.get("/v1/models", headers={"x-padding": "a" * (4 * emulator.settings.max_header_bytes)})
        error = assert_openai_error(r, 400)
        assert "headers" in error["message"]
        assert raw.get("/v1/models").status_code == 200
