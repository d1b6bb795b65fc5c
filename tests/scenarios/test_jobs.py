"""Library lifecycle scenarios and job caps, seen through the official SDK on the virtual clock."""

from __future__ import annotations

import io
import json

import openai
import pytest

from emulator.domain.state import Emulator
from emulator.scenarios import scenario

from .conftest import SDK, use

FOREVER = 30 * 86400.0


def training_file(client: openai.OpenAI, n: int = 12) -> str:
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"What is {i} plus {i}?"},
                {"role": "assistant", "content": f"{2 * i}."},
            ]
        }
        for i in range(n)
    ]
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    return client.files.create(file=("train.jsonl", io.BytesIO(data)), purpose="fine-tune").id


def create(client: openai.OpenAI, **kwargs: object) -> openai.types.fine_tuning.FineTuningJob:
    return client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training_file(client), **kwargs)  # type: ignore[arg-type]


def test_slow_queue_keeps_jobs_queued_for_two_hours(sdk: SDK, emulator: Emulator) -> None:
    use(emulator, "slow_queue")
    client = sdk()
    job = create(client)
    emulator.clock.advance(119)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "validating_files"
    emulator.clock.advance(2)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "queued"
    emulator.clock.advance(7100)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "queued"
    emulator.clock.advance(200)
    assert client.fine_tuning.jobs.retrieve(job.id).status in ("running", "succeeded")


def test_job_fails_midway_at_step_ten(sdk: SDK, emulator: Emulator) -> None:
    use(emulator, "job_fails_midway")
    client = sdk()
    job = create(client)
    emulator.clock.advance(FOREVER)
    failed = client.fine_tuning.jobs.retrieve(job.id)
    assert failed.status == "failed" and failed.fine_tuned_model is None
    assert failed.error is not None
    assert (failed.error.code, failed.error.message) == (
        "server_error",
        "The fine-tuning job failed due to an internal error.",
    )
    events = list(client.fine_tuning.jobs.list_events(job.id, limit=100))
    steps = [e.data["step"] for e in events if e.type == "metrics"]  # type: ignore[index]
    assert steps == list(range(10, 0, -1))  # newest first: the last metrics event is step 10, as described
    failure = next(e for e in events if e.level == "error")
    assert failure.created_at >= max(e.created_at for e in events if e.type == "metrics")
    assert "step 10" in emulator.scenarios.describe()[0]["description"]


@pytest.mark.parametrize("name", ["moderation_rejected", "invalid_training_file"])
def test_validation_rejections_fail_the_job_asynchronously(sdk: SDK, emulator: Emulator, name: str) -> None:
    use(emulator, name)
    client = sdk()
    job = create(client)
    assert job.status == "validating_files"  # the create itself succeeds, as with OpenAI
    emulator.clock.advance(FOREVER)
    failed = client.fine_tuning.jobs.retrieve(job.id)
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.code == "invalid_training_file" and failed.error.param == "training_file"
    if name == "moderation_rejected":
        assert "flagged by our moderation API" in failed.error.message


def test_eventual_consistency_hides_the_model_for_one_read(sdk: SDK, emulator: Emulator) -> None:
    use(emulator, "eventual_consistency")
    client = sdk()
    job = create(client)
    emulator.clock.advance(FOREVER)
    first = client.fine_tuning.jobs.retrieve(job.id)
    second = client.fine_tuning.jobs.retrieve(job.id)
    assert first.status == second.status == "succeeded"
    assert first.fine_tuned_model is None and second.fine_tuned_model is not None


def test_active_job_cap_is_a_429(sdk: SDK, emulator: Emulator) -> None:
    emulator.scenarios.load(scenario("cap").rate_limits(max_active_jobs=1).build())
    client = sdk(max_retries=0)
    create(client)
    with pytest.raises(openai.RateLimitError) as info:
        create(client)
    assert (
        info.value.code == "rate_limit_exceeded"
        and "maximum of 1 active fine-tuning jobs" in info.value.message
    )
    emulator.clock.advance(FOREVER)  # the first job finishes and frees its slot
    assert create(client).status == "validating_files"


def test_scenario_header_scripts_only_the_job_it_creates(sdk: SDK, emulator: Emulator) -> None:
    client = sdk()
    doomed = create(client, extra_headers={"X-Emulator-Scenario": "job_fails_midway"})
    healthy = create(client)
    emulator.clock.advance(FOREVER)
    assert client.fine_tuning.jobs.retrieve(doomed.id).status == "failed"
    assert client.fine_tuning.jobs.retrieve(healthy.id).status == "succeeded"
    creates = emulator.journal.find(method="POST", path="/v1/fine_tuning/jobs")
    assert [e.rule for e in creates] == ["job_fails_midway:midway", None]
