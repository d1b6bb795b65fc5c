"""Figures that need whole workflows: a job's lifecycle through the official SDK against a live server,
and the per-test overhead of the pytest plugin's `openai_client` fixture in live (socket) mode."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from .inprocess import AUTH, training_jsonl
from .targets import Server

__all__ = ["fixture_overhead", "lifecycle", "succeeded_model"]

MODEL = "gpt-4o-mini-2024-07-18"


def _sdk(server: Server) -> Any:
    import openai

    return openai.OpenAI(base_url=server.url + "/v1", api_key=AUTH.split()[1], max_retries=0)


def _run_jobs(server: Server) -> None:
    import httpx

    httpx.post(
        server.url + "/_emulator/jobs/run", json={}, headers={"authorization": AUTH}, timeout=120
    ).raise_for_status()


def lifecycle(server: Server, count: int) -> dict[str, float]:
    """Server CPU for one whole workflow: upload, create, run, retrieve, events, checkpoints, chat."""
    with _sdk(server) as client:
        _workflow(client, server)  # warm up (first-use imports, caches)
        before = server.cpu()
        for _ in range(count):
            _workflow(client, server)
        spent = server.cpu() - before
    return {"workflows": count, "cpu_ms_per_workflow": spent / count * 1000, "requests_per_workflow": 8}


def _workflow(client: Any, server: Server) -> None:
    training = client.files.create(file=("train.jsonl", training_jsonl()), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model=MODEL, training_file=training.id, suffix="bench")
    _run_jobs(server)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "succeeded", job.status
    client.fine_tuning.jobs.list_events(job.id, limit=100)
    client.fine_tuning.jobs.checkpoints.list(job.id)
    client.chat.completions.create(
        model=job.fine_tuned_model, messages=[{"role": "user", "content": "What is 2 plus 2?"}]
    )
    client.files.retrieve(training.id)


def succeeded_model(server: Server) -> str:
    """A fine-tuned model to stream chat completions from."""
    with _sdk(server) as client:
        training = client.files.create(file=("train.jsonl", training_jsonl()), purpose="fine-tune")
        job = client.fine_tuning.jobs.create(model=MODEL, training_file=training.id)
        _run_jobs(server)
        return str(client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model)


_FIXTURE_TESTS = """
import time

import openai  # as a real test module does: the SDK's import is the module's cost, not the fixture's
import pytest

STAMPS = []

@pytest.mark.parametrize("i", range({count}))
def test_{name}(i{fixture}):
    STAMPS.append(time.time())
"""

_CONFTEST = """
import json, time, sys

COLLECTED = []

def pytest_collection_finish(session):  # both runs have imported the same modules by now
    COLLECTED.append(time.time())

def pytest_sessionfinish(session):
    mods = [m for name, m in sys.modules.items() if name.startswith("test_") and hasattr(m, "STAMPS")]
    stamps = mods[0].STAMPS if mods else []
    with open({out!r}, "w") as f:
        json.dump({{"stamps": stamps, "collected": COLLECTED[0]}}, f)
"""


def fixture_overhead(count: int) -> dict[str, float]:
    """Per-test cost of `openai_client` in live mode over a test that takes no fixture, and how long the
    first such test waits (server start, first client)."""
    result: dict[str, float] = {}
    for name, fixture in (("plain", ""), ("client", ", openai_client")):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "stamps.json"
            (Path(tmp) / "conftest.py").write_text(_CONFTEST.format(out=str(out)))
            (Path(tmp) / f"test_{name}.py").write_text(
                textwrap.dedent(_FIXTURE_TESTS.format(count=count, name=name, fixture=fixture))
            )
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "-p",
                    "no:xdist",
                    "--emulator-mode",
                    "live",
                    tmp,
                ],
                cwd=tmp,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            data = json.loads(out.read_text())
        stamps = data["stamps"]
        gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
        result[f"{name}_ms_per_test"] = statistics.median(gaps) * 1000
        result[f"{name}_p99_ms"] = sorted(gaps)[int(len(gaps) * 0.99)] * 1000
        # From the end of collection, so the two processes' start-up and import times (seconds, noisy on a
        # busy machine) stay out of the difference.
        result[f"{name}_first_ms"] = (stamps[0] - data["collected"]) * 1000
    result["overhead_ms"] = result["client_ms_per_test"] - result["plain_ms_per_test"]
    result["first_test_overhead_ms"] = result["client_first_ms"] - result["plain_first_ms"]
    return result
