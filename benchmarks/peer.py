"""An optional peer to compare with: aimock (`@copilotkit/aimock`, Node.js), a mock server of many AI APIs
that has files and fine-tuning jobs. Never a dependency of the project: the figure runs only when its
command line is found (`AIMOCK_CLI=/path/to/dist/cli.js`, or `aimock` on PATH after
`npm install -g @copilotkit/aimock`) and node is installed; otherwise it says why it was skipped.

The workflow compared is the part both serve: upload a training file, create a job, bring it to
`succeeded` (the emulator: one control call; aimock: its jobs move one status per retrieve), retrieve it,
list its events, chat with the fine-tuned model, retrieve the file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .inprocess import AUTH, training_jsonl
from .targets import Server, pin, stop

__all__ = ["aimock_command", "serve_aimock", "workflows_per_second"]

MODEL = "gpt-4o-mini-2024-07-18"
_FIXTURE = '{"fixtures": [{"match": {"userMessage": "What"}, "response": {"content": "4."}}]}\n'


def aimock_command() -> tuple[list[str] | None, str]:
    """How to start aimock here, or None and why not."""
    cli = os.environ.get("AIMOCK_CLI") or shutil.which("aimock")
    if not cli:
        return None, "aimock not found: set AIMOCK_CLI to its dist/cli.js or put `aimock` on PATH"
    if cli.endswith(".js"):
        node = shutil.which("node")
        if node is None:
            return None, "node is not installed"
        return [node, cli], ""
    return [cli], ""


@contextlib.contextmanager
def serve_aimock(command: list[str], cpu: int | None) -> Iterator[Server]:
    """aimock on a free loopback port, pinned like the emulator, with one chat fixture."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="aimock-bench-") as fixtures:
        Path(fixtures, "chat.json").write_text(_FIXTURE)
        process = subprocess.Popen(
            [*command, "-p", str(port), "-h", "127.0.0.1", "--log-level", "silent", "-f", fixtures],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        pin(process.pid, cpu)
        try:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("aimock did not start")
                time.sleep(0.05)
            yield Server(process, port)  # type: ignore[arg-type]
        finally:
            stop(process)


def seed(server: Server) -> tuple[str, str]:
    """A training file and a job on `server`, for hot reads."""
    import httpx

    with httpx.Client(base_url=server.url, headers={"authorization": AUTH}, timeout=60) as http:
        file_id = http.post(
            "/v1/files", data={"purpose": "fine-tune"}, files={"file": ("train.jsonl", training_jsonl())}
        ).json()["id"]
        job = http.post("/v1/fine_tuning/jobs", json={"model": MODEL, "training_file": file_id}).json()
    return str(file_id), str(job["id"])


def workflows_per_second(server: Server, count: int, finish: Callable[[Any, str], Any]) -> dict[str, float]:
    """`count` workflows in a row through the official SDK: workflows per second (wall clock, client
    included) and the server's CPU per workflow. `finish(client, job_id)` brings the job to succeeded."""
    import openai

    with openai.OpenAI(base_url=server.url + "/v1", api_key=AUTH.split()[1], max_retries=0) as client:
        _workflow(client, finish)  # warm up
        started, before = time.perf_counter(), server.cpu()
        for _ in range(count):
            _workflow(client, finish)
        wall, spent = time.perf_counter() - started, server.cpu() - before
    return {"workflows_per_s": count / wall, "cpu_ms_per_workflow": spent / count * 1000}


def _workflow(client: Any, finish: Callable[[Any, str], Any]) -> None:
    training = client.files.create(file=("train.jsonl", training_jsonl()), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model=MODEL, training_file=training.id)
    job = finish(client, job.id)
    assert job.status == "succeeded", job.status
    client.fine_tuning.jobs.list_events(job.id, limit=100)
    client.chat.completions.create(
        model=job.fine_tuned_model, messages=[{"role": "user", "content": "What is 2 plus 2?"}]
    )
    client.files.retrieve(training.id)


def finish_by_polling(client: Any, job_id: str) -> Any:
    """aimock's way: each retrieve moves the job one status on."""
    for _ in range(10):
        job = client.fine_tuning.jobs.retrieve(job_id)
        if job.status == "succeeded":
            return job
    return job


def finish_by_running(server: Server) -> Callable[[Any, str], Any]:
    """The emulator's way: one control call runs the jobs to their end, then one retrieve."""
    import httpx

    def finish(client: Any, job_id: str) -> Any:
        httpx.post(
            server.url + "/_emulator/jobs/run", json={}, headers={"authorization": AUTH}, timeout=120
        ).raise_for_status()
        return client.fine_tuning.jobs.retrieve(job_id)

    return finish
