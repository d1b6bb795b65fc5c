"""Helpers for job tests: training files, job creation, a non-strict SDK client for paused jobs."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import httpx2
import openai
import pytest

from emulator import EmulatorServer
from emulator.domain.state import Emulator

from ..conftest import API_KEY, ContractLog

FOREVER = 10 * 86400.0  # advancing this far finishes any unscripted job


@pytest.fixture
def loose_client(
    server: EmulatorServer, emulator: Emulator, contract_log: ContractLog
) -> Iterator[openai.OpenAI]:
    """An SDK client without strict validation: the SDK's status Literal has no `paused` either, and real
    (non-strict) clients pass it through."""
    http = httpx2.Client(event_hooks={"response": [contract_log.sync_hook]})
    with openai.OpenAI(base_url=server.base_url, api_key=API_KEY, http_client=http) as sdk:
        yield sdk


def example(n: int, *, words: str = "") -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You answer arithmetic questions tersely."},
            {"role": "user", "content": f"What is {n} plus {n}?{words}"},
            {"role": "assistant", "content": f"{n + n}."},
        ]
    }


def jsonl(rows: list[Any]) -> bytes:
    return "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows).encode()


def chat_file(n: int) -> bytes:
    return jsonl([example(i) for i in range(n)])


def upload(client: openai.OpenAI, data: bytes, name: str = "train.jsonl", purpose: str = "fine-tune") -> str:
    return client.files.create(file=(name, io.BytesIO(data)), purpose=purpose).id  # type: ignore[arg-type]


def create(
    client: openai.OpenAI, data: bytes | None = None, *, model: str = "gpt-4o-mini", **kwargs: Any
) -> Any:
    file_id = upload(client, data if data is not None else chat_file(12))
    return client.fine_tuning.jobs.create(model=model, training_file=file_id, **kwargs)


def job_of(emulator: Emulator, job_id: str) -> Any:
    for tenant in emulator.tenants():
        job = tenant.jobs.jobs.get(job_id)
        if job is not None:
            return job
    raise KeyError(job_id)


def advance_to(emulator: Emulator, job_id: str, status: str) -> None:
    """Move the clock to the next moment the job enters `status` (its timeline says when)."""
    timeline, now = job_of(emulator, job_id).timeline, emulator.now()
    times = [s.start for s in timeline.segments if s.phase == status and s.start > now]
    if timeline.terminal is not None and timeline.terminal.status == status:
        times.append(timeline.terminal.at)
    assert times, f"{job_id} never becomes {status}"
    emulator.clock.advance(max(0.0, min(times) - now) + 0.001)


def all_events(client: openai.OpenAI, job_id: str) -> list[Any]:
    """Oldest first."""
    return list(reversed(list(client.fine_tuning.jobs.list_events(job_id, limit=100))))
