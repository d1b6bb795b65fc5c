"""Figures measured inside one process, without sockets: the app's own CPU per request, and how job
creation, list pages and memory grow with the number of stored objects.

`python -m benchmarks.inprocess growth SIZES` runs the growth figures in a fresh process (so its RSS is
its own) and prints them as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from .targets import bare_app, bench_settings, rss_mb

__all__ = ["AUTH", "Caller", "app_only", "training_jsonl"]

AUTH = "Bearer sk-bench"


def training_jsonl(rows: int = 10) -> bytes:
    lines = []
    for n in range(rows):
        messages = [
            {"role": "user", "content": f"What is {n} plus {n}?"},
            {"role": "assistant", "content": f"{n + n}."},
        ]
        lines.append(json.dumps({"messages": messages}))
    return ("\n".join(lines) + "\n").encode()


def multipart(filename: str, content: bytes, purpose: str = "fine-tune") -> tuple[str, bytes]:
    boundary = "benchboundary7f3a"
    body = (
        (
            f'--{boundary}\r\ncontent-disposition: form-data; name="purpose"\r\n\r\n{purpose}\r\n'
            f'--{boundary}\r\ncontent-disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"content-type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", body


class Caller:
    """Calls an ASGI app directly: the cost measured is the app's, not a client's or a socket's."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        emulator = getattr(getattr(self.app, "state", None), "emulator", None)
        if emulator is not None:
            emulator.close()
        self.loop.close()

    def __call__(
        self, method: str, path: str, body: bytes = b"", content_type: str = "application/json"
    ) -> tuple[int, bytes]:
        return self.loop.run_until_complete(self._call(method, path, body, content_type))

    async def _call(self, method: str, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        path, _, query = path.partition("?")
        headers = [(b"host", b"bench"), (b"authorization", AUTH.encode())]
        if body:
            headers += [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
            ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("bench", 80),
        }
        sent = False
        status, chunks = 0, []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)

    def json(self, method: str, path: str, payload: Any = None) -> Any:
        status, body = self(method, path, json.dumps(payload).encode() if payload is not None else b"")
        if status >= 400:
            raise RuntimeError(f"{method} {path}: {status} {body[:300]!r}")
        return json.loads(body)

    def upload(self, filename: str = "train.jsonl", content: bytes | None = None) -> str:
        content_type, body = multipart(filename, content if content is not None else training_jsonl())
        status, out = self("POST", "/v1/files", body, content_type)
        if status >= 400:
            raise RuntimeError(f"upload: {status} {out[:300]!r}")
        return str(json.loads(out)["id"])


def cpu_per_call(call: Callable[[], object], count: int, repeats: int = 5) -> float:
    """Median process CPU seconds per call over `repeats` rounds of `count` calls."""
    rounds = []
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(count):
            call()
        rounds.append((time.process_time() - started) / count)
    return statistics.median(rounds)


def app_only(count: int) -> dict[str, float]:
    """CPU per GET of a job, a file and the bare endpoint, calling each app in process (no socket)."""
    from emulator import create_app

    emulator = Caller(create_app(bench_settings()))
    file_id = emulator.upload()
    job_id = emulator.json(
        "POST", "/v1/fine_tuning/jobs", {"model": "gpt-4o-mini-2024-07-18", "training_file": file_id}
    )["id"]
    settle(emulator.app)
    bare = Caller(bare_app())
    try:
        figures = {
            "bare_us": cpu_per_call(lambda: bare("GET", "/v1/bare/file-abc"), count),
            "get_file_us": cpu_per_call(lambda: emulator("GET", f"/v1/files/{file_id}"), count),
            "get_job_us": cpu_per_call(lambda: emulator("GET", f"/v1/fine_tuning/jobs/{job_id}"), count),
        }
    finally:
        emulator.close()
        bare.close()
    return {name: value * 1e6 for name, value in figures.items()}


def settle(app: Any) -> None:
    """Wait for the file analyses still running on the app's workers (the first one loads a tokenizer for
    seconds), so that they don't share the CPU being measured."""
    for tenant in app.state.emulator.tenants():
        for future in tenant.jobs.waiting(None):
            future.result(timeout=300)


def growth(sizes: list[int], probes: int) -> dict[str, Any]:
    """Per-operation CPU at each stored count, then RSS holding the largest count of jobs and of files."""
    from emulator import create_app

    emulator = Caller(create_app(bench_settings()))
    try:
        return _grow(emulator, sizes, probes)
    finally:
        emulator.close()


def _grow(emulator: Caller, sizes: list[int], probes: int) -> dict[str, Any]:
    training = emulator.upload()
    payload = json.dumps({"model": "gpt-4o-mini-2024-07-18", "training_file": training}).encode()
    content_type, file_body = multipart("data.jsonl", training_jsonl(2))

    def create_job() -> None:
        status, body = emulator("POST", "/v1/fine_tuning/jobs", payload)
        assert status == 200, body[:300]

    def create_file() -> None:
        status, body = emulator("POST", "/v1/files", file_body, content_type)
        assert status == 200, body[:300]

    create_job()  # the first of each loads what every later one reuses (tokenizer, faker data)
    create_file()
    gc.collect()
    rss_empty = rss_mb_self()
    rows: list[dict[str, float]] = []
    jobs = files = 2
    fill_seconds = 0.0
    for size in sizes:
        started = time.perf_counter()
        while jobs < size:
            create_job()
            jobs += 1
        while files < size:
            create_file()
            files += 1
        fill_seconds += time.perf_counter() - started
        rows.append(
            {
                "stored": size,
                "create_job_us": cpu_per_call(create_job, probes, 3) * 1e6,
                "create_file_us": cpu_per_call(create_file, probes, 3) * 1e6,
                "list_jobs_us": cpu_per_call(
                    lambda: emulator("GET", "/v1/fine_tuning/jobs?limit=20"), probes, 3
                )
                * 1e6,
                "list_files_us": cpu_per_call(lambda: emulator("GET", "/v1/files?limit=20"), probes, 3) * 1e6,
            }
        )
        jobs += probes * 3
        files += probes * 3
    _analysed(emulator)
    gc.collect()
    return {
        "rows": rows,
        "rss_empty_mb": rss_empty,
        "rss_full_mb": rss_mb_self(),
        "jobs": jobs,
        "files": files,
        "fill_seconds": fill_seconds,
    }


def _analysed(emulator: Caller) -> None:
    """Wait for the file analyses still queued behind the fill, and let a request plan their jobs: the
    RSS is then what the stored objects hold, not the backlog of a burst of creations."""
    state = emulator.app.state.emulator
    while any(tenant.jobs.waiting() for tenant in state.tenants()):
        time.sleep(0.05)
    emulator("GET", "/v1/fine_tuning/jobs?limit=1")


def rss_mb_self() -> float:
    import os

    return rss_mb(os.getpid())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inprocess")
    parser.add_argument("figure", choices=("growth",))
    parser.add_argument("sizes")
    parser.add_argument("--probes", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(growth([int(s) for s in args.sizes.split(",")], args.probes)))
