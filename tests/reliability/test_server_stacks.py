"""Both server stacks (h11 on asyncio; httptools on uvloop, what `emulator serve` runs when installed)
refuse an unreadable request with OpenAI's 400 envelope, cap the request head at `max_header_bytes`,
and otherwise answer the same."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from emulator import EmulatorServer, Settings
from emulator.protocol import fast_stack_available

from .helpers import assert_openai_error

KEY = {"Authorization": "Bearer sk-stacks"}
MAX_HEAD = Settings().max_header_bytes


@pytest.fixture(scope="module", params=["h11", "httptools"])
def stack_server(request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    fast = request.param == "httptools"
    assert fast_stack_available() or not fast, "uvicorn[standard] (httptools, uvloop) is a test dependency"
    with EmulatorServer(Settings(port=0, max_header_bytes=MAX_HEAD), fast=fast) as live:
        yield live


def _raw(server: EmulatorServer, request: bytes) -> bytes:
    """Send raw bytes, read until the server closes (a refusal closes the connection)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_malformed_request_line_gets_the_envelope(stack_server: EmulatorServer) -> None:
    answer = _raw(stack_server, b"NOT HTTP AT ALL\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"content-type: application/json" in head.lower()
    headers = [tuple(line.split(b": ", 1)) for line in head.split(b"\r\n")[1:]]
    r = httpx.Response(400, headers=headers, content=body)
    assert assert_openai_error(r, 400)["type"] == "invalid_request_error"


def test_oversized_headers_get_the_envelope_and_the_server_goes_on(stack_server: EmulatorServer) -> None:
    with httpx.Client(base_url=stack_server.url, headers=KEY) as http:
        r = http.get("/v1/models", headers={"x-padding": "a" * (4 * MAX_HEAD)})
        error = assert_openai_error(r, 400)
        assert "headers" in error["message"]
        assert http.get("/v1/models").status_code == 200


def test_a_body_larger_than_the_head_cap_is_not_refused(stack_server: EmulatorServer) -> None:
    with httpx.Client(base_url=stack_server.url, headers=KEY) as http:
        content = b'{"messages": [{"role": "user", "content": "hi"}]}\n' * (4 * MAX_HEAD // 40)
        r = http.post("/v1/files", data={"purpose": "fine-tune"}, files={"file": ("t.jsonl", content)})
        assert r.status_code == 200, r.text
        assert r.json()["bytes"] == len(content)


def test_both_stacks_send_openais_headers(stack_server: EmulatorServer) -> None:
    with httpx.Client(base_url=stack_server.url, headers=KEY) as http:
        r = http.get("/v1/models")
    assert r.status_code == 200
    for name in ("x-request-id", "openai-version", "openai-organization", "x-ratelimit-limit-requests"):
        assert name in r.headers
