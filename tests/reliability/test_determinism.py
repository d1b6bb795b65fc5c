"""What a client reads at a clock time never depends on how fast the machine validated: a read that needs
a pending analysis waits for it (that request only) and answers what it would have answered at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from emulator import EmulatorServer
from emulator.domain.state import Emulator

from ..conftest import API_KEY
from .helpers import training_jsonl, upload

MODEL = "gpt-4o-mini-2024-07-18"


def _story(server: EmulatorServer, *, while_creating: threading.Event | None = None) -> list[Any]:
    """Create a job, read it at creation, then 30 minutes and 3 hours later: every body a client sees."""
    seen: list[Any] = []
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60
    ) as http:
        file_id = upload(http, training_jsonl(40_000))
        job = http.post(
            "/v1/fine_tuning/jobs", json={"model": MODEL, "training_file": file_id, "seed": 7}
        ).json()
        seen.append(job)
        seen.append(http.get(f"/v1/fine_tuning/jobs/{job['id']}").json())
        seen.append(http.get(f"/v1/fine_tuning/jobs/{job['id']}/events").json())
        if while_creating is not None:
            while_creating.set()
        for seconds in (1800, 9000):
            assert http.post("/_emulator/clock/advance", json={"seconds": seconds}).status_code == 200
            seen.append(http.get(f"/v1/fine_tuning/jobs/{job['id']}").json())
            seen.append(http.get(f"/v1/fine_tuning/jobs/{job['id']}/events", params={"limit": 50}).json())
            seen.append(http.get("/v1/models").json())
            seen.append(http.get("/v1/files").json())
    return seen


def test_slow_validation_changes_no_body_and_stalls_nobody_else(
    server: EmulatorServer, emulator: Emulator
) -> None:
    fast = _story(server)
    emulator.reset()

    # Slow validation down: hold every worker until the story's reads are waiting for the analysis.
    gate, reads_started = threading.Event(), threading.Event()
    blockers = [emulator.workers.submit(gate.wait) for _ in range(emulator.workers.size)]
    with ThreadPoolExecutor(1) as pool:
        slow_story = pool.submit(_story, server, while_creating=reads_started)
        assert reads_started.wait(60)
        with httpx.Client(
            base_url=server.url, headers={"Authorization": "Bearer sk-bystander-0000"}
        ) as bystander:
            for _ in range(5):  # the event loop is free while the story's read waits for the analysis
                assert bystander.get("/v1/models").status_code == 200
        assert not slow_story.done(), "the story's read should be waiting for the held analysis"
        gate.set()
        slow = slow_story.result(timeout=120)
    for blocker in blockers:
        blocker.result()
    assert slow == fast
    assert fast[3]["status"] != "validating_files"  # the later reads did need the analysis
