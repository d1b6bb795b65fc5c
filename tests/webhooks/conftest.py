"""A real HTTP receiver on 127.0.0.1 that records webhook deliveries, and helpers to finish jobs."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai
import pytest
from openai.types.webhooks import (
    FineTuningJobCancelledWebhookEvent,
    FineTuningJobFailedWebhookEvent,
    FineTuningJobSucceededWebhookEvent,
    UnwrapWebhookEvent,
    WebhookEndpointWithSecret,
)

from emulator.domain.state import Emulator

from ..jobs.conftest import FOREVER, example, jsonl

__all__ = ["FT_EVENTS", "Receiver", "finish_job", "flush", "job_event", "run_job", "start_job", "subscribe"]

FT_EVENTS = [
    "fine_tuning.job.succeeded",
    "fine_tuning.job.failed",
    "fine_tuning.job.cancelled",
]
_JOB_EVENTS = (
    FineTuningJobSucceededWebhookEvent,
    FineTuningJobFailedWebhookEvent,
    FineTuningJobCancelledWebhookEvent,
)


def job_event(event: UnwrapWebhookEvent) -> tuple[str, str]:
    """(type, job id) of an unwrapped fine-tuning job event."""
    assert isinstance(event, _JOB_EVENTS), event
    return event.type, event.data.id


def subscribe(
    client: openai.OpenAI, url: str, event_types: list[str] = FT_EVENTS, name: str = "ft"
) -> WebhookEndpointWithSecret:
    """An endpoint for `url`; event types are plain strings here (the SDK's Literal names every type)."""
    return client.webhooks.create(name=name, url=url, event_types=event_types)  # type: ignore[arg-type]


@dataclass
class Receiver:
    """Answers each POST with the next queued status (200 when none), recording what came."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with state.lock:
                state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/openai"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def start_job(client: openai.OpenAI, suffix: str = "hooked") -> str:
    training = client.files.create(
        file=("train.jsonl", jsonl([example(n) for n in range(12)])), purpose="fine-tune"
    )
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=training.id, suffix=suffix
    )
    return job.id


def finish_job(emulator: Emulator) -> None:
    emulator.clock.advance(FOREVER)


def run_job(http: httpx.Client, job_id: str) -> None:
    """Finish one job at the clock's current time (the clock stays put), so retries are due exactly
    RETRY_DELAYS later."""
    assert http.post(f"/_emulator/jobs/{job_id}/run", json={}).json()["status"] == "succeeded"


def flush(http: httpx.Client) -> list[dict[str, Any]]:
    """Deliver what is due now; the tenant's delivery log, oldest first."""
    assert http.post("/_emulator/webhooks/flush", json={}).status_code == 200
    log = http.get("/_emulator/webhooks/deliveries", params={"limit": 100})
    assert log.status_code == 200
    return list(reversed(log.json()["data"]))
