"""The pytest plugin's `webhook_receiver`: deliveries in process (no socket), in both fixture modes."""

from __future__ import annotations

import openai
import pytest

from emulator.testing import EmulatorHandle
from emulator.webhook_receiver import WebhookReceiver

from .conftest import job_event, start_job


@pytest.mark.parametrize("mode", ["inprocess", "live"])
def test_receiver_gets_verified_events_when_the_clock_passes_the_finish(mode: str) -> None:
    with EmulatorHandle(mode=mode) as emu:
        receiver = emu.webhook_receiver()
        client = emu.client()
        job_id = start_job(client)
        assert emu.flush_webhooks() == [] and receiver.received == []
        emu.advance("10d")
        log = emu.flush_webhooks()
        events = receiver.unwrap(client)
        assert [job_event(e) for e in events] == [("fine_tuning.job.succeeded", job_id)]
        assert log[0]["state"] == "delivered" and receiver.types == ["fine_tuning.job.succeeded"]


def test_receiver_fixture_with_the_ready_client(
    openai_emulator: EmulatorHandle, webhook_receiver: WebhookReceiver, openai_client: openai.OpenAI
) -> None:
    webhook_receiver.fail_next(503)
    job_id = start_job(openai_client)
    openai_client.fine_tuning.jobs.cancel(job_id)
    first = openai_emulator.flush_webhooks()[0]
    assert first["state"] == "pending" and [d.status for d in webhook_receiver.received] == [503]
    openai_emulator.advance("5s")
    assert openai_emulator.flush_webhooks()[0]["state"] == "delivered"
    assert webhook_receiver.types == ["fine_tuning.job.cancelled"]
    assert webhook_receiver.received[0].webhook_id == webhook_receiver.received[1].webhook_id


@pytest.mark.emulator(scenario={"name": "dup", "webhooks": [{"fault": "duplicate"}]})
def test_receiver_fixture_sees_scenario_faults(
    openai_emulator: EmulatorHandle, webhook_receiver: WebhookReceiver, openai_client: openai.OpenAI
) -> None:
    openai_emulator.run_job(start_job(openai_client))
    openai_emulator.flush_webhooks()
    assert webhook_receiver.types == ["fine_tuning.job.succeeded"] * 2


@pytest.mark.emulator(scenario="flaky_webhooks")
def test_flaky_webhooks_library_scenario_retries_and_reorders(
    openai_emulator: EmulatorHandle, webhook_receiver: WebhookReceiver, openai_client: openai.OpenAI
) -> None:
    first, second = start_job(openai_client, "first"), start_job(openai_client, "second")
    openai_emulator.run_job(first)
    openai_emulator.flush_webhooks()  # simulated 503: nothing reaches the receiver yet
    assert webhook_receiver.received == []
    openai_emulator.advance("5s")
    openai_emulator.flush_webhooks()  # the retry is overtaken-by-the-next: held back
    openai_emulator.run_job(second)
    openai_emulator.advance("5s")
    later, earlier = openai_emulator.flush_webhooks()  # newest first
    assert [job_event(e)[1] for e in webhook_receiver.unwrap(openai_client)] == [second, second, first]
    assert [(a["status"], a["fault"]) for a in earlier["attempts"]] == [
        (503, "flaky_webhooks:busy-receiver receiver_error"),
        (200, "flaky_webhooks:overtaken out_of_order"),
    ]
    assert [(a["status"], a["fault"]) for a in later["attempts"]] == [
        (200, "flaky_webhooks:at-least-once duplicate")
    ]
