"""Deliveries to a real HTTP receiver: each job event, signatures the SDK verifies, retries on the clock."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from emulator.domain.state import Emulator
from emulator.domain.webhooks import RETRY_DELAYS

from .conftest import Receiver, finish_job, flush, job_event, run_job, start_job, subscribe


def _endpoint(client: openai.OpenAI, receiver: Receiver) -> str:
    return subscribe(client, receiver.url, name="ft").signing_secret


def test_succeeded_job_sends_one_signed_event_the_sdk_unwraps(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator, receiver: Receiver
) -> None:
    secret = _endpoint(client, receiver)
    job_id = start_job(client)
    assert flush(http) == [] and receiver.received == []  # nothing before the job finishes
    finish_job(emulator)
    log = flush(http)
    job = client.fine_tuning.jobs.retrieve(job_id)
    assert job.status == "succeeded" and len(receiver.received) == 1
    headers, body = receiver.received[0]
    event = client.webhooks.unwrap(body, headers, secret=secret)
    assert job_event(event) == ("fine_tuning.job.succeeded", job_id)
    assert event.created_at == job.finished_at and event.id.startswith("evt_") and len(event.id) == 36
    assert json.loads(body) == {
        "id": event.id,
        "object": "event",
        "created_at": job.finished_at,
        "type": "fine_tuning.job.succeeded",
        "data": {"id": job_id},
    }
    assert headers["webhook-id"] == event.id and headers["content-type"] == "application/json"
    assert [(d["state"], len(d["attempts"])) for d in log] == [("delivered", 1)]
    assert flush(http) == log and len(receiver.received) == 1  # never sent twice


def test_failed_and_cancelled_jobs_send_their_events(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator, receiver: Receiver
) -> None:
    secret = _endpoint(client, receiver)
    assert http.post("/_emulator/scenarios", json={"name": "job_fails_midway"}).status_code == 200
    failing = start_job(client, "failing")
    cancelled = start_job(client, "cancelled")
    client.fine_tuning.jobs.cancel(cancelled)
    flush(http)
    finish_job(emulator)
    flush(http)
    events = [client.webhooks.unwrap(body, headers, secret=secret) for headers, body in receiver.received]
    assert [job_event(e) for e in events] == [
        ("fine_tuning.job.cancelled", cancelled),
        ("fine_tuning.job.failed", failing),
    ]


def test_only_subscribed_types_are_sent(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator, receiver: Receiver
) -> None:
    subscribe(client, receiver.url, ["fine_tuning.job.failed"], name="failures")
    start_job(client)
    finish_job(emulator)
    assert flush(http) == [] and receiver.received == []


def test_wrong_secret_and_old_timestamp_are_rejected_by_the_sdk(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator, receiver: Receiver
) -> None:
    _endpoint(client, receiver)
    other = subscribe(client, receiver.url + "/x", ["batch.completed"], name="other")
    start_job(client)
    finish_job(emulator)
    flush(http)
    headers, body = receiver.received[0]
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.unwrap(body, headers, secret=other.signing_secret)
    with pytest.raises(openai.InvalidWebhookSignatureError, match="too old"):
        client.webhooks.verify_signature(body, headers, secret=other.signing_secret, tolerance=-10)


def test_failed_attempts_are_retried_on_the_emulator_clock(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator, receiver: Receiver
) -> None:
    secret = _endpoint(client, receiver)
    job_id = start_job(client)
    receiver.statuses += [500, 503]
    run_job(http, job_id)
    first = flush(http)[0]
    assert first["state"] == "pending" and len(receiver.received) == 1
    finished = client.fine_tuning.jobs.retrieve(job_id).finished_at
    assert finished is not None
    assert first["next_attempt_at"] == finished + RETRY_DELAYS[0]
    emulator.clock.advance(RETRY_DELAYS[0] - 1)
    assert len(flush(http)[0]["attempts"]) == 1  # not due yet
    emulator.clock.advance(1)
    flush(http)
    emulator.clock.advance(RETRY_DELAYS[1])
    done = flush(http)[0]
    attempts = done["attempts"]
    assert done["state"] == "delivered" and done["next_attempt_at"] is None
    assert [(a["status"], a["at"] - finished) for a in attempts] == [
        (500, 0),
        (503, RETRY_DELAYS[0]),
        (200, RETRY_DELAYS[0] + RETRY_DELAYS[1]),
    ]
    ids = {headers["webhook-id"] for headers, _ in receiver.received}
    assert len(ids) == 1  # one message, retried: receivers deduplicate on webhook-id
    last_headers, last_body = receiver.received[-1]
    assert job_event(client.webhooks.unwrap(last_body, last_headers, secret=secret))[1] == job_id


def test_a_receiver_that_never_answers_2xx_is_given_up_after_the_schedule(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator, receiver: Receiver
) -> None:
    _endpoint(client, receiver)
    job_id = start_job(client)
    receiver.statuses += [500] * (len(RETRY_DELAYS) + 1)
    run_job(http, job_id)
    flush(http)
    for delay in RETRY_DELAYS:
        emulator.clock.advance(delay)
        flush(http)
    final = flush(http)[0]
    assert final["state"] == "failed" and len(final["attempts"]) == len(RETRY_DELAYS) + 1
    assert sum(RETRY_DELAYS) <= 72 * 3600


def test_an_unreachable_receiver_is_logged_and_retried(client: openai.OpenAI, http: httpx.Client) -> None:
    subscribe(client, "http://127.0.0.1:9/hooks", name="down")
    run_job(http, start_job(client))
    entry = flush(http)[0]
    attempt = entry["attempts"][0]
    assert entry["state"] == "pending" and attempt["status"] is None and attempt["error"]
    journal = http.get("/_emulator/requests", params={"path": "http://127.0.0.1:9/hooks"}).json()["data"]
    assert [(e["method"], e["status"], e["extra"]["webhook"]["attempt"]) for e in journal] == [("POST", 0, 1)]


def test_same_seed_same_requests_same_events(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator, receiver: Receiver
) -> None:
    def run() -> list[bytes]:
        emulator.reset()
        receiver.received.clear()
        _endpoint(client, receiver)
        start_job(client)
        finish_job(emulator)
        flush(http)
        return [body for _, body in receiver.received]

    assert run() == run()
