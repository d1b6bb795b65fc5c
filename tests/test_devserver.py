"""`emulator serve` as a newcomer meets it, run as a real process: the banner's snippet works, uvicorn's
startup lines don't repeat it, a busy port is one sentence, `--port 0` prints the port it chose."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import httpx
import pytest

from .serve_process import ServeProcess, run_serve


def _snippet_key(banner: str) -> str:
    match = re.search(r'OpenAI\(base_url="[^"]+", api_key="([^"]+)"\)', banner)
    assert match, banner
    export = re.search(r"OPENAI_API_KEY=(\S+)", banner)
    assert export and export.group(1) == match.group(1)
    return match.group(1)


@pytest.mark.parametrize(
    ("args", "accepted"),
    [
        ((), "Any API key works"),
        (("--api-key", "sk-team-a", "--api-key", "sk-team-b"), "sk-team-a, sk-team-b"),
    ],
)
def test_the_banner_shows_a_key_the_server_accepts(args: tuple[str, ...], accepted: str) -> None:
    with ServeProcess("--port", "0", *args) as server:
        key = _snippet_key(server.banner)
        ok = httpx.get(f"{server.url}/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert ok.status_code == 200
        assert accepted in server.banner
        if args:
            refused = httpx.get(
                f"{server.url}/v1/models", headers={"Authorization": "Bearer sk-anything"}, timeout=10
            )
            assert refused.status_code == 401 and "sk-anything" not in server.banner


def test_startup_prints_one_clean_banner() -> None:
    with ServeProcess("--port", "0") as server:
        assert httpx.get(f"{server.url}/_emulator/health", timeout=10).status_code == 200
    assert server.returncode == 0, server.stderr
    assert server.stdout.count("listening on") == 1
    for chatter in ("Uvicorn running", "Started server process", "Application startup", "INFO:"):
        assert chatter not in server.stdout + server.stderr
    lines = [line for line in server.stdout.splitlines() if line.strip()]
    repeated = {line for line in lines if lines.count(line) > 1}
    assert repeated == set(), repeated
    assert lines[-1] == "emulator stopped" and server.stderr == ""


def test_port_0_prints_the_port_chosen() -> None:
    with ServeProcess("--port", "0") as server:
        port = int(server.url.rsplit(":", 1)[1])
        assert port > 0
        assert httpx.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=10).json()["status"] == "ok"


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


@pytest.mark.parametrize("via", ["flag", "environment"])
def test_a_busy_port_is_one_sentence_with_the_way_out(busy_port: int, via: str) -> None:
    if via == "flag":
        result = run_serve("--port", str(busy_port))
    else:
        result = run_serve(env={"EMULATOR_PORT": str(busy_port)})
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line == (
        f"emulator serve: port {busy_port} on 127.0.0.1 is already in use (another emulator or server?). "
        f"Choose another with --port {busy_port + 1} or EMULATOR_PORT={busy_port + 1}, or --port 0 for a "
        "free one (the banner prints the port chosen)."
    )
