"""Webhook faults from the scenario DSL: drop, delay, duplicates, reordering, bad signatures, 5xx."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import openai
import pytest

from emulator.domain.state import Emulator
from emulator.scenarios import ScenarioError, parse_scenario

from .conftest import Receiver, flush, run_job, start_job, subscribe


def _load(http: httpx.Client, *rules: dict[str, Any]) -> None:
    response = http.post(
        "/_emulator/scenarios", json={"scenario": {"name": "hooks", "webhooks": list(rules)}}
    )
    assert response.status_code == 200, response.text


def _setup(client: openai.OpenAI, receiver: Receiver) -> str:
    return subscribe(client, receiver.url, name="ft").signing_secret


def test_drop_loses_the_delivery_and_logs_it(
    client: openai.OpenAI, http: httpx.Client, receiver: Receiver
) -> None:
    _setup(client, receiver)
    _load(http, {"name": "lost", "fault": "drop", "times": 1})
    run_job(http, start_job(client))
    run_job(http, start_job(client, "second"))
    log = flush(http)
    assert [d["state"] for d in log] == ["dropped", "delivered"] and len(receiver.received) == 1
    assert log[0]["attempts"][0]["fault"] == "hooks:lost drop"


def test_delay_holds_the_first_attempt_on_the_clock(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator, receiver: Receiver
) -> None:
    _setup(client, receiver)
    _load(http, {"delay": "10m"})
    run_job(http, start_job(client))
    assert flush(http)[0]["attempts"] == [] and receiver.received == []
    emulator.clock.advance(599)
    assert flush(http)[0]["attempts"] == []
    emulator.clock.advance(1)
    assert flush(http)[0]["state"] == "delivered" and len(receiver.received) == 1


def test_duplicate_sends_the_same_message_twice(
    client: openai.OpenAI, http: httpx.Client, receiver: Receiver
) -> None:
    secret = _setup(client, receiver)
    _load(http, {"fault": "duplicate"})
    run_job(http, start_job(client))
    flush(http)
    assert len(receiver.received) == 2
    assert receiver.received[0][0]["webhook-id"] == receiver.received[1][0]["webhook-id"]
    assert all(client.webhooks.unwrap(body, headers, secret=secret) for headers, body in receiver.received)


def test_out_of_order_lets_a_later_event_overtake(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator, receiver: Receiver
) -> None:
    _setup(client, receiver)
    _load(http, {"fault": "out_of_order", "times": 1})
    first = start_job(client, "first")
    second = start_job(client, "second")
    run_job(http, first)
    flush(http)
    assert receiver.received == []  # held back
    emulator.clock.advance(60)
    run_job(http, second)
    flush(http)
    assert [json.loads(body)["data"]["id"] for _, body in receiver.received] == [second, first]


def test_out_of_order_alone_still_arrives_within_the_hour(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator, receiver: Receiver
) -> None:
    _setup(client, receiver)
    _load(http, {"fault": "out_of_order"})
    run_job(http, start_job(client))
    flush(http)
    emulator.clock.advance(3600)
    assert flush(http)[0]["state"] == "delivered" and len(receiver.received) == 1


def test_wrong_signature_fails_verification(
    client: openai.OpenAI, http: httpx.Client, receiver: Receiver
) -> None:
    secret = _setup(client, receiver)
    _load(http, {"fault": "wrong_signature", "times": 1})
    run_job(http, start_job(client))
    flush(http)
    headers, body = receiver.received[0]
    with pytest.raises(openai.InvalidWebhookSignatureError, match="does not match"):
        client.webhooks.unwrap(body, headers, secret=secret)


def test_stale_timestamp_fails_the_replay_window(
    client: openai.OpenAI, http: httpx.Client, receiver: Receiver
) -> None:
    secret = _setup(client, receiver)
    _load(http, {"fault": "stale_timestamp"})
    run_job(http, start_job(client))
    flush(http)
    headers, body = receiver.received[0]
    with pytest.raises(openai.InvalidWebhookSignatureError, match="too old"):
        client.webhooks.unwrap(body, headers, secret=secret)
    client.webhooks.verify_signature(
        body, headers, secret=secret, tolerance=3600
    )  # the signature itself is good


def test_receiver_error_forces_retries_without_a_request(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator, receiver: Receiver
) -> None:
    _setup(client, receiver)
    _load(
        http, {"fault": "receiver_error", "status": 502, "times": 2, "match": {"type": "fine_tuning.job.*"}}
    )
    run_job(http, start_job(client))
    flush(http)
    emulator.clock.advance(5)
    flush(http)
    emulator.clock.advance(300)
    log = flush(http)[0]
    assert [(a["status"], a["outcome"]) for a in log["attempts"]] == [
        (502, "failed"),
        (502, "failed"),
        (200, "delivered"),
    ]
    assert len(receiver.received) == 1
    counters = http.get("/_emulator/scenarios").json()["data"][0]["webhooks"]
    assert counters == [{"name": "webhooks[0]", "matched": 2, "fired": 2}]


def test_faults_follow_the_seed(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator, receiver: Receiver
) -> None:
    def run() -> list[str]:
        emulator.reset()
        _setup(client, receiver)
        _load(http, {"fault": "drop", "probability": 0.5})
        for n in range(6):
            run_job(http, start_job(client, f"j{n}"))
        return [str(d["state"]) for d in flush(http)]

    outcomes = run()
    assert outcomes == run() and {"dropped", "delivered"} == set(outcomes)


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"fault": "explode"}, "webhooks[0].fault: expected one of drop"),
        ({"fault": "drop", "delay": "1m"}, "give exactly one of fault or delay"),
        ({"fault": "drop", "status": 500}, "status only goes with fault: receiver_error"),
        ({"fault": "receiver_error", "status": 204}, "non-2xx"),
        ({"fault": "drop", "match": {"typo": "x"}}, "unknown key 'typo'"),
    ],
)
def test_bad_webhook_rules_name_the_key(rule: dict[str, Any], problem: str) -> None:
    with pytest.raises(ScenarioError, match=re.escape(problem)):
        parse_scenario({"name": "bad", "webhooks": [rule]})
