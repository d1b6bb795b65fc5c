"""Emulators as real processes for the CI tests: `emulator serve` (optionally with a Python prelude that
breaks something on purpose), a free port, readiness, and output capture."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    proc: subprocess.Popen[str]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text()


def emulator_command(*args: str, prelude: str = "") -> list[str]:
    """`python -m emulator ARGS`, or the same after running `prelude` in the process (to break it)."""
    if not prelude:
        return [sys.executable, "-m", "emulator", *args]
    code = f"{prelude}\nimport sys\nfrom emulator.cli import main\nsys.exit(main(sys.argv[1:]))"
    return [sys.executable, "-c", code, *args]


def wait_ready(
    url: str, proc: subprocess.Popen[str], log: Path, timeout: float = 20.0, path: str = "/healthz"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the process exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}{path}", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} did not become ready in {timeout} s:\n{log.read_text()}")


@contextmanager
def serve(
    tmp: Path, *args: str, prelude: str = "", env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[Process]:
    """`emulator serve --port <port or a free one> ARGS` in its own process, ready; SIGTERM on exit."""
    port = port or free_port()
    log = tmp / f"serve-{port}.log"
    command = emulator_command("serve", "--port", str(port), *args, prelude=prelude)
    with spawn(command, log, env) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc, log)
        yield Process(proc, url, log)


@contextmanager
def spawn(
    command: Sequence[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    with log.open("w") as out:
        proc = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
