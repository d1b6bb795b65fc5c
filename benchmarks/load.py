"""The load generator: wrk or oha when installed, else a bounded asyncio HTTP/1.1 keep-alive client.

Run as its own process (pinned to another core than the server) with
`python -m benchmarks.load URL PATH --seconds S --connections C [--header 'Name: value'] [--body JSON]`;
it prints `{"requests": n, "errors": e, "seconds": s}`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass

from .targets import pin

__all__ = ["Load", "drive", "generator"]


@dataclass(frozen=True)
class Load:
    path: str
    headers: tuple[str, ...] = ()
    body: str | None = None  # JSON, sent with POST
    connections: int = 4


def generator() -> str:
    """Which load generator `drive` uses."""
    return "wrk" if shutil.which("wrk") else "oha" if shutil.which("oha") else "python"


def drive(url: str, load: Load, seconds: float, cpu: int | None) -> dict[str, float]:
    """Send `load` to `url` for `seconds` from a process pinned to `cpu`; how many requests completed."""
    tool = generator()
    if tool == "wrk" and load.body is None:
        command = ["wrk", "-t1", f"-c{load.connections}", f"-d{max(1, round(seconds))}s"]
        for header in load.headers:
            command += ["-H", header]
        out = _run([*command, url + load.path], cpu)
        total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
        elapsed = float(re.search(r"requests in ([\d.]+)s", out).group(1))  # type: ignore[union-attr]
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return {"requests": total, "errors": int(errors.group(1)) if errors else 0, "seconds": elapsed}
    command = [
        sys.executable,
        "-m",
        "benchmarks.load",
        url,
        load.path,
        "--seconds",
        str(seconds),
        "--connections",
        str(load.connections),
    ]
    for header in load.headers:
        command += ["--header", header]
    if load.body is not None:
        command += ["--body", load.body]
    return dict(json.loads(_run(command, cpu)))


def _run(command: list[str], cpu: int | None) -> str:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    pin(process.pid, cpu)
    out, _ = process.communicate(timeout=600)
    if process.returncode:
        raise RuntimeError(f"{command[0]} failed ({process.returncode})")
    return out


async def _connection(host: str, port: int, request: bytes, until: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < until:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            if length is not None:
                await reader.readexactly(int(length.group(1)))
            else:  # chunked (a stream)
                while True:
                    size = int((await reader.readline()).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            counts[0 if 200 <= status < 400 else 1] += 1
    finally:
        writer.close()


async def _main(args: argparse.Namespace) -> dict[str, float]:
    match = re.fullmatch(r"http://([^:/]+):(\d+)", args.url)
    assert match, args.url
    host, port = match.group(1), int(match.group(2))
    body = args.body.encode() if args.body is not None else None
    lines = [
        f"{'POST' if body is not None else 'GET'} {args.path} HTTP/1.1",
        f"host: {host}:{port}",
        *args.header,
    ]
    if body is not None:
        lines += ["content-type: application/json", f"content-length: {len(body)}"]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
    counts = [0, 0]
    started = time.monotonic()
    until = started + args.seconds
    await asyncio.gather(*(_connection(host, port, request, until, counts) for _ in range(args.connections)))
    return {"requests": counts[0], "errors": counts[1], "seconds": time.monotonic() - started}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load")
    parser.add_argument("url")
    parser.add_argument("path")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--body")
    print(json.dumps(asyncio.run(_main(parser.parse_args()))))
