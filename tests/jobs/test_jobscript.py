"""Every JobScript field bends the lifecycle as documented (scripts injected as a scenario would)."""

from __future__ import annotations

import math
from typing import Any

import httpx
import openai
import pytest

from emulator.domain.jobscript import JobFailure, JobScript, JobWarning
from emulator.domain.state import Emulator

from .conftest import FOREVER, all_events, create, job_of


@pytest.fixture
def script(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    def use(value: JobScript) -> None:
        monkeypatch.setattr(emulator, "script_for_job", lambda tenant, request, active=0: value)

    return use


def test_phase_durations(client: openai.OpenAI, emulator: Emulator, script: Any) -> None:
    script(JobScript(validating_seconds=5, queued_seconds=7, seconds_per_step=2))
    job = create(client)
    timeline = job_of(emulator, job.id).timeline
    assert timeline.when("queued") == job.created_at + 5
    assert timeline.when("running") == job.created_at + 12
    assert timeline.when("succeeded") == job.created_at + 12 + 96 * 2 + 15


def test_stuck_in_the_queue(
    client: openai.OpenAI, emulator: Emulator, http: httpx.Client, script: Any
) -> None:
    script(JobScript(queued_seconds=math.inf))
    job = create(client)
    emulator.clock.advance(FOREVER * 100)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "queued"
    response = http.post(f"/_emulator/jobs/{job.id}/run", json={"until": "succeeded"})
    assert response.status_code == 409
    assert "will not move by itself" in response.json()["error"]["message"]
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"


@pytest.mark.parametrize("phase", ["validating_files", "queued"])
def test_failure_in_an_early_phase(
    client: openai.OpenAI, emulator: Emulator, script: Any, phase: str
) -> None:
    script(JobScript(failure=JobFailure(phase, "server_error", "Something broke.")))
    job = create(client)
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "failed" and job.error is not None
    assert (job.error.code, job.error.message, job.error.param) == (
        "server_error",
        "Something broke.",
        "training_file",
    )
    statuses = {e.message for e in all_events(client, job.id)}
    assert ("Files validated, moving job to queued state" in statuses) == (phase == "queued")
    assert "Fine-tuning job started" not in statuses


def test_failure_at_a_step(client: openai.OpenAI, emulator: Emulator, script: Any) -> None:
    script(JobScript(failure=JobFailure("running", "out_of_memory", "Ran out of memory.", at_step=40)))
    job = create(client)
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "failed" and job.error is not None
    assert (job.error.code, job.error.param) == ("out_of_memory", None)
    events = all_events(client, job.id)
    assert [e.data["step"] for e in events if e.type == "metrics"][-1] == 40  # "at step 40": its last step
    assert (events[-1].level, events[-1].message) == ("error", "Ran out of memory.")
    assert client.fine_tuning.jobs.checkpoints.list(job.id).data == []


def test_moderation_rejection(client: openai.OpenAI, emulator: Emulator, script: Any) -> None:
    script(JobScript(reject_moderation=True))
    job = create(client)
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.error is not None and job.error.code == "invalid_training_file"
    assert "blocked because too many examples were flagged by our moderation API" in job.error.message
    assert "following categories: hate." in job.error.message


def test_invalid_file_rejection(client: openai.OpenAI, emulator: Emulator, script: Any) -> None:
    script(JobScript(reject_invalid_file=True))
    job = create(client)
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.error is not None and job.error.code == "invalid_training_file"
    assert job.error.message.endswith(
        "Unexpected file format, expected either prompt/completion pairs or chat messages."
    )


def test_warnings_appear_in_their_phase(client: openai.OpenAI, emulator: Emulator, script: Any) -> None:
    script(
        JobScript(
            seconds_per_step=1,
            warnings=(
                JobWarning("queued", "Queue is busy", after_seconds=5),
                JobWarning("running", "GPU is warm", after_seconds=10.5),
                JobWarning("validating_files", "Slow disk", after_seconds=10_000),
            ),
        )
    )
    job = create(client)
    emulator.clock.advance(FOREVER)
    events = all_events(client, job.id)
    messages = [e.message for e in events]
    warn = [e for e in events if e.level == "warn"]
    assert [e.message for e in warn] == ["Slow disk", "Queue is busy", "GPU is warm"]
    assert messages.index("Slow disk") == messages.index("Files validated, moving job to queued state") - 1
    running = messages.index("GPU is warm")
    assert messages[running - 1].startswith("Step 10/96") and messages[running + 1].startswith("Step 11/96")


def test_stale_reads_hide_the_model_for_a_while(
    client: openai.OpenAI, emulator: Emulator, script: Any
) -> None:
    script(JobScript(stale_reads=2))
    job = create(client)
    emulator.clock.advance(FOREVER)
    reads = [client.fine_tuning.jobs.retrieve(job.id) for _ in range(3)]
    assert [r.status for r in reads] == ["succeeded"] * 3
    assert [r.fine_tuned_model is None for r in reads] == [True, True, False]
