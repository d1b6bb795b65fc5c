"""`emulator serve` as a real process on a data directory: start, wait for it, kill it."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import httpx2

__all__ = ["Served", "serve"]


class Served:
    def __init__(self, proc: subprocess.Popen[str], url: str, reader: threading.Thread) -> None:
        self.proc, self.url, self.reader = proc, url, reader

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a crash or an OOM kill."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.reader.join(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.reader.join(10)


def _command(data_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "emulator",
        "serve",
        "--port",
        "0",
        "--clock",
        "virtual",
        "--seed",
        "7",
        "--data-dir",
        str(data_dir),
        "--log-level",
        "warning",
        *extra,
    ]


def run_serve(data_dir: Path, *extra: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """A serve that is expected to refuse to start: its exit code and messages."""
    return subprocess.run(
        _command(data_dir, *extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def serve(data_dir: Path, *extra: str, cwd: Path | None = None, deadline: float = 30) -> Served:
    proc = subprocess.Popen(
        _command(data_dir, *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        cwd=cwd,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_pump, args=(proc, lines), daemon=True)
    reader.start()
    seen, end = "", time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        seen += line
        if "listening on " in line:
            url = line.rsplit("listening on ", 1)[1].strip()
            httpx.get(f"{url}/_emulator/health", timeout=5).raise_for_status()
            return Served(proc, url, reader)
    proc.kill()
    proc.wait(timeout=10)
    reader.join(10)
    raise AssertionError(f"emulator serve did not start:\n{seen}")


def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert proc.stdout is not None
    with proc.stdout:  # closed once the process has gone
        for line in iter(proc.stdout.readline, ""):
            lines.put(line)


def dump(target: str | httpx2.Client, api_keys: Sequence[str]) -> dict[str, object]:
    """Every object each tenant can see, byte for byte (file contents included), and the clock. `target`
    is a base URL or an HTTP client whose base URL is the emulator's origin."""
    http: Any = httpx.Client(base_url=target, timeout=30) if isinstance(target, str) else target
    world: dict[str, object] = {"clock": http.get("/_emulator/clock").json()}
    for key in api_keys:
        auth = {"Authorization": f"Bearer {key}"}

        def get(path: str, auth: dict[str, str] = auth, **params: object) -> Any:
            return http.get(f"/v1{path}", params=params, headers=auth)

        files = get("/files", limit=10000).json()["data"]
        jobs = get("/fine_tuning/jobs", limit=100).json()["data"]
        world[key] = {
            "files": files,
            "contents": {f["id"]: get(f"/files/{f['id']}/content").content.hex() for f in files},
            "jobs": jobs,
            "events": {j["id"]: get(f"/fine_tuning/jobs/{j['id']}/events", limit=1000).json() for j in jobs},
            "checkpoints": {j["id"]: get(f"/fine_tuning/jobs/{j['id']}/checkpoints").json() for j in jobs},
            "models": sorted(m["id"] for m in get("/models").json()["data"]),
        }
    if isinstance(target, str):
        http.close()
    return world
