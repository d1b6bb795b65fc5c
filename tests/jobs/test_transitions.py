"""Cancel, pause and resume from every state, with the 400s chosen for the wrong ones."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from emulator.domain.state import Emulator

from .conftest import FOREVER, advance_to, all_events, chat_file, create, job_of


def at_status(client: openai.OpenAI, emulator: Emulator, status: str, data: bytes | None = None) -> Any:
    job = create(client, data)
    if status == "failed":
        job = create(client, chat_file(3))
    if status == "cancelled":
        client.fine_tuning.jobs.cancel(job.id)
    elif status != "validating_files":
        advance_to(emulator, job.id, status)
    return job


@pytest.mark.parametrize("status", ["validating_files", "queued", "running"])
def test_cancel_an_unfinished_job(client: openai.OpenAI, emulator: Emulator, status: str) -> None:
    job = at_status(client, emulator, status)
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled"
    assert (cancelled.finished_at, cancelled.fine_tuned_model, cancelled.trained_tokens) == (None, None, None)
    emulator.clock.advance(FOREVER)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"
    assert all_events(client, job.id)[-1].message == "Fine-tuning job cancelled"
    assert client.fine_tuning.jobs.checkpoints.list(job.id).data == []


def test_cancel_a_paused_job(loose_client: openai.OpenAI, emulator: Emulator) -> None:
    job = at_status(loose_client, emulator, "running")
    loose_client.fine_tuning.jobs.pause(job.id)
    assert loose_client.fine_tuning.jobs.cancel(job.id).status == "cancelled"


@pytest.mark.parametrize(
    ("status", "word"), [("succeeded", "succeeded"), ("failed", "failed"), ("cancelled", "been cancelled")]
)
def test_cancel_a_finished_job_is_400(
    client: openai.OpenAI, emulator: Emulator, status: str, word: str
) -> None:
    job = at_status(client, emulator, status)
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.cancel(job.id)
    assert (info.value.status_code, info.value.type, info.value.code) == (400, "invalid_request_error", None)
    assert info.value.body["message"] == f"Cannot cancel job {job.id}: it has already {word}."  # type: ignore[index]


def test_pause_freezes_progress_and_resume_continues_from_the_paused_step(
    loose_client: openai.OpenAI, emulator: Emulator
) -> None:
    client = loose_client
    job = at_status(client, emulator, "running")
    emulator.clock.advance(30)
    paused = client.fine_tuning.jobs.pause(job.id)
    assert paused.status == "paused"  # type: ignore[comparison-overlap]  # not in the SDK's Literal
    steps = [e for e in all_events(client, job.id) if e.type == "metrics"]
    done = len(steps)
    assert done > 0
    emulator.clock.advance(FOREVER)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "paused"
    events = all_events(client, job.id)
    assert len([e for e in events if e.type == "metrics"]) == done
    assert events[-1].message == f"Fine-tuning job paused at step {done}/96"
    resumed = client.fine_tuning.jobs.resume(job.id)
    assert resumed.status == "queued"
    advance_to(emulator, job.id, "running")
    assert client.fine_tuning.jobs.retrieve(job.id).status == "running"
    emulator.clock.advance(FOREVER)
    final = client.fine_tuning.jobs.retrieve(job.id)
    assert final.status == "succeeded"
    events = all_events(client, job.id)
    messages = [e.message for e in events]
    assert "Fine-tuning job resumed, moving job to queued state" in messages
    assert f"Fine-tuning job restarted from step {done}" in messages
    assert [e.data["step"] for e in events if e.type == "metrics"] == list(range(1, 97))
    assert [e.created_at for e in events] == sorted(e.created_at for e in events)


@pytest.mark.parametrize("status", ["validating_files", "queued", "succeeded", "failed", "cancelled"])
def test_pause_needs_a_running_job(client: openai.OpenAI, emulator: Emulator, status: str) -> None:
    job = at_status(client, emulator, status)
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.pause(job.id)
    assert info.value.body["message"] == (  # type: ignore[index]
        f"Cannot pause job {job.id}: only running jobs can be paused (status: {status})."
    )


@pytest.mark.parametrize(
    "status", ["validating_files", "queued", "running", "succeeded", "failed", "cancelled"]
)
def test_resume_needs_a_paused_job(client: openai.OpenAI, emulator: Emulator, status: str) -> None:
    job = at_status(client, emulator, status)
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.resume(job.id)
    assert info.value.body["message"] == (  # type: ignore[index]
        f"Cannot resume job {job.id}: only paused jobs can be resumed (status: {status})."
    )


def test_pause_a_paused_job_is_400(loose_client: openai.OpenAI, emulator: Emulator) -> None:
    job = at_status(loose_client, emulator, "running")
    loose_client.fine_tuning.jobs.pause(job.id)
    with pytest.raises(openai.BadRequestError) as info:
        loose_client.fine_tuning.jobs.pause(job.id)
    assert "(status: paused)" in info.value.body["message"]  # type: ignore[index]


@pytest.mark.parametrize("verb", ["retrieve", "cancel", "pause", "resume", "list_events"])
def test_unknown_job_is_404(client: openai.OpenAI, verb: str) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        getattr(client.fine_tuning.jobs, verb)("ftjob-nope")
    assert info.value.body == {
        "message": "No such fine-tuning job: ftjob-nope",
        "type": "invalid_request_error",
        "param": "fine_tuning_job_id",
        "code": None,
    }


def test_checkpoints_of_unknown_job_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.checkpoints.list("ftjob-nope")


def test_cancel_is_idempotent_while_a_slow_cancel_is_pending(
    client: openai.OpenAI, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emulator.domain.jobscript import JobScript

    monkeypatch.setattr(
        emulator, "script_for_job", lambda tenant, request, active=0: JobScript(cancel_seconds=60)
    )
    job = at_status(client, emulator, "running")
    assert client.fine_tuning.jobs.cancel(job.id).status == "running"
    assert client.fine_tuning.jobs.cancel(job.id).status == "running"
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.pause(job.id)
    assert info.value.body["message"] == f"Cannot pause job {job.id}: it is being cancelled."  # type: ignore[index]
    emulator.clock.advance(60)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"
    assert job_of(emulator, job.id).timeline.terminal.at == pytest.approx(emulator.now(), abs=0.01)
