"""The servers under test, each run as its own process: the emulator, or a bare Starlette JSON app.

`python -m benchmarks.targets --app emulator|bare --http h11|httptools --loop asyncio|uvloop PORTFILE`
binds 127.0.0.1:0, writes the port to PORTFILE once it accepts connections, and serves until killed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "FILE_OBJECT",
    "Server",
    "bare_app",
    "bench_settings",
    "cpu_seconds",
    "pin",
    "rss_mb",
    "serve_process",
]

# What the bare app returns: the same shape and size as the emulator's File object.
FILE_OBJECT: dict[str, Any] = {
    "id": "file-abc123def456ghi789jkl012",
    "object": "file",
    "bytes": 1234,
    "created_at": 1735689600,
    "filename": "train.jsonl",
    "purpose": "fine-tune",
    "status": "processed",
    "status_details": None,
    "expires_at": None,
}
STREAM_CHUNKS = 12  # chunks the bare stream sends (about what a short streamed chat reply has)


def bare_app() -> Any:
    """The floor: Starlette routing to one JSON endpoint (and one SSE stream), nothing else."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    async def read(request: Request) -> Response:
        return JSONResponse({**FILE_OBJECT, "id": request.path_params["id"]})

    async def stream(request: Request) -> Response:
        await request.body()

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(STREAM_CHUNKS):
                yield b"data: " + json.dumps({"i": i, "delta": {"content": "word "}}).encode() + b"\n\n"
            yield b"data: [DONE]\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/bare/{id}", read), Route("/v1/stream", stream, methods=["POST"])])


def bench_settings() -> Any:
    """Default settings, except that rate limits are too high to be reached (their headers still come)
    and jobs move only when told, so a long run measures the same work throughout."""
    from emulator import Settings

    return Settings(job_progression="manual", rate_limit_requests=10**9, rate_limit_tokens=10**12)


def emulator_app(log_level: str) -> Any:
    from emulator import create_app

    app = create_app(bench_settings())
    if log_level != "off":  # the access log `emulator serve` writes, at this level
        from emulator.cli import AccessLog, _configure_logging

        _configure_logging(log_level)
        return AccessLog(app)
    return app


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    app = bare_app() if args.app == "bare" else emulator_app(args.log_level)
    protocol: dict[str, Any] = {"http": args.http}
    if args.app == "emulator":  # the emulator's own protocol subclass of that stack, as `emulator serve` runs
        from emulator import Settings
        from emulator.protocol import uvicorn_options

        protocol = uvicorn_options(Settings().max_header_bytes, fast=args.http == "httptools")
        protocol.pop("loop", None)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        loop=args.loop,
        **protocol,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    original = server.startup

    async def startup(sockets: Any = None) -> None:
        await original(sockets=sockets)
        port = server.servers[0].sockets[0].getsockname()[1]
        Path(args.portfile).write_text(str(port))

    server.startup = startup  # type: ignore[method-assign]
    server.run()


def pin(pid: int, cpu: int | None) -> None:
    """Keep a process on one core (where the OS lets us), so server and load generator don't share one."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(pid, {cpu})


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (from /proc; resource usage of children elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a benchmarked server, killing it when it does not stop within 10 s."""
    process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)
    if process.poll() is None:
        process.kill()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """A running target process: its URL, pid and CPU counter."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process, self.port = process, port
        self.url = f"http://127.0.0.1:{port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)


@contextlib.contextmanager
def serve_process(
    app: str, *, http: str = "h11", loop: str = "asyncio", log_level: str = "off", cpu: int | None = None
) -> Iterator[Server]:
    portfile = Path(f"/tmp/emulator-bench-{os.getpid()}-{time.monotonic_ns()}.port")
    command = [
        sys.executable,
        "-m",
        "benchmarks.targets",
        "--app",
        app,
        "--http",
        http,
        "--loop",
        loop,
        "--log-level",
        log_level,
        str(portfile),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # access-log lines are written, unread
    pin(process.pid, cpu)
    try:
        deadline = time.monotonic() + 30
        while not portfile.exists() or not portfile.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(command)} did not start")
            time.sleep(0.02)
        yield Server(process, int(portfile.read_text()))
    finally:
        stop(process)
        portfile.unlink(missing_ok=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.targets")
    parser.add_argument("--app", choices=("emulator", "bare"), required=True)
    parser.add_argument("--http", default="h11")
    parser.add_argument("--loop", default="asyncio")
    parser.add_argument("--log-level", default="off")
    parser.add_argument("portfile")
    _serve(parser.parse_args())
