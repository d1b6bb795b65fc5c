"""Policy `openai`: fine-tuning job creation follows OpenAI's wind-down, from the tenant's own history."""

from __future__ import annotations

import httpx
import openai
import pytest

from emulator.domain.state import Emulator

from ..jobs.conftest import chat_file, upload
from .conftest import HI, TRAINING_NOT_AVAILABLE, at, lifecycle, new_job, succeeded_model


@pytest.fixture(autouse=True)
def real_calendar(http: httpx.Client) -> None:
    assert lifecycle(http, policy="openai")["policy"] == "openai"


def _refused(client: openai.OpenAI) -> None:
    with pytest.raises(openai.PermissionDeniedError) as info:
        new_job(client)
    assert info.value.status_code == 403
    assert info.value.body == TRAINING_NOT_AVAILABLE


def test_org_that_never_fine_tuned_can_create_a_job_the_day_before_the_first_cutoff(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    at(http, "2026-05-06", hour=23.99)
    assert new_job(client).status == "validating_files"


def test_org_that_never_fine_tuned_is_refused_from_the_first_cutoff(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    at(http, "2026-05-07", hour=0)
    _refused(client)
    at(http, "2026-05-08")
    _refused(client)


def test_refusal_leaves_uploads_listing_and_retrieval_working(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    job = new_job(client)  # 2025: before any cutoff... then the org loses access
    lifecycle(http, access="blocked")
    file_id = upload(client, chat_file(12))
    assert client.files.retrieve(file_id).status == "processed"
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    assert info.value.body == TRAINING_NOT_AVAILABLE
    assert [j.id for j in client.fine_tuning.jobs.list()] == [job.id]
    assert client.fine_tuning.jobs.retrieve(job.id).id == job.id
    assert client.fine_tuning.jobs.list_events(job.id).data


def test_org_with_earlier_jobs_keeps_access_after_the_first_cutoff(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    new_job(client)
    at(http, "2026-05-08")
    assert new_job(client).status == "validating_files"


def test_org_without_recent_fine_tuned_inference_is_refused_from_the_second_cutoff(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    new_job(client)
    at(http, "2026-07-01")
    assert new_job(client).status == "validating_files"
    at(http, "2026-07-02", hour=0)
    _refused(client)


def test_sixty_day_window_counts_from_the_last_fine_tuned_inference(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    model = succeeded_model(client, http)
    at(http, "2026-06-01")  # 12:00: the last inference on a fine-tuned model
    client.chat.completions.create(model=model, messages=HI)
    at(http, "2026-07-02")
    assert new_job(client).status == "validating_files"
    at(http, "2026-07-30")  # 59 days later: still inside the window
    assert new_job(client).status == "validating_files"
    at(http, "2026-08-01")  # 61 days later
    _refused(client)
    client.chat.completions.create(model=model, messages=HI)
    assert new_job(client).status == "validating_files"  # active again: the window is rolling


def test_everyone_loses_job_creation_on_the_last_cutoff(client: openai.OpenAI, http: httpx.Client) -> None:
    model = succeeded_model(client, http, "gpt-4o-mini")
    at(http, "2027-01-04")
    client.chat.completions.create(model=model, messages=HI)
    at(http, "2027-01-05")
    assert new_job(client, "gpt-4o-mini-2024-07-18").status == "validating_files"
    at(http, "2027-01-06", hour=0)
    _refused(client)
    # ... while inference on the fine-tuned model continues until its base shuts down (2027-01-14).
    assert client.chat.completions.create(model=model, messages=HI).model == model


@pytest.mark.anyio
async def test_async_sdk_sees_the_same_refusal(async_client: openai.AsyncOpenAI, http: httpx.Client) -> None:
    at(http, "2026-05-07")
    uploaded = await async_client.files.create(file=("t.jsonl", chat_file(12)), purpose="fine-tune")
    with pytest.raises(openai.PermissionDeniedError) as info:
        await async_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=uploaded.id)
    assert info.value.body == TRAINING_NOT_AVAILABLE


def test_running_jobs_finish_after_a_cutoff(client: openai.OpenAI, http: httpx.Client) -> None:
    at(http, "2026-05-06", hour=23.9)
    job = new_job(client)
    at(http, "2026-05-20")
    finished = client.fine_tuning.jobs.retrieve(job.id)
    assert finished.status == "succeeded" and finished.fine_tuned_model is not None
    reply = client.chat.completions.create(model=finished.fine_tuned_model, messages=HI)
    assert reply.model == finished.fine_tuned_model
    # That job, created the day before the cutoff, makes this an organization that had fine-tuned.
    assert new_job(client).status == "validating_files"


def test_control_api_reports_history_and_why(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    model = succeeded_model(client, http)
    client.chat.completions.create(model=model, messages=HI)
    at(http, "2026-09-01")
    state = http.get("/_emulator/lifecycle").json()
    assert state["policy"] == "openai" and state["can_create_jobs"] is False
    assert state["reason"].startswith(
        "from 2026-07-02, organizations without inference on a fine-tuned model"
    )
    assert state["history"]["first_job_at"] == int(emulator.settings.start_time)
    assert state["wind_down"] == {
        "never_fine_tuned": "2026-05-07",
        "inactive_60_days": "2026-07-02",
        "everyone": "2027-01-06",
    }


def test_lenient_mode_materializes_a_job_the_calendar_would_not_let_anyone_create(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    """A job id lenient mode makes up stands for a job that already exists: retrieving it creates nothing,
    so neither the wind-down nor its base's shutdown refuses it (creating a new one still is refused)."""
    assert http.post("/_emulator/lenient", json={"enabled": True}).json() == {"lenient": True}
    try:
        at(http, "2027-02-01")  # after the last cutoff and after gpt-4o-mini-2024-07-18's shutdown
        job = client.fine_tuning.jobs.retrieve("ftjob-" + "a" * 24)
        assert (job.status, job.model) == ("succeeded", "gpt-4o-mini-2024-07-18")
        _refused(client)
    finally:
        assert http.post("/_emulator/lenient", json={"enabled": False}).json() == {"lenient": False}
