"""A job's life through the official SDK on the virtual clock: every status, the real quirks, the results."""

from __future__ import annotations

import base64
import re

import httpx
import openai
import pytest

from emulator.domain import tokens
from emulator.domain.state import Emulator

from .conftest import FOREVER, advance_to, all_events, chat_file, create, example, job_of, jsonl, upload


def test_create_returns_validating_job_with_real_quirks(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    job = create(client, suffix="demo", metadata={"team": "a"})
    assert re.fullmatch(r"ftjob-[A-Za-z0-9]{24}", job.id)
    assert job.status == "validating_files"
    assert job.model == "gpt-4o-mini-2024-07-18"
    assert job.created_at == int(emulator.now())
    assert (job.fine_tuned_model, job.finished_at, job.trained_tokens, job.result_files) == (
        None,
        None,
        None,
        [],
    )
    assert job.hyperparameters.n_epochs == "auto" and job.hyperparameters.batch_size == "auto"
    assert job.method is not None and job.method.type == "supervised"
    assert job.metadata == {"team": "a"}
    assert 0 <= job.seed < 2**31
    raw = http.get(f"/v1/fine_tuning/jobs/{job.id}").json()
    assert raw["user_provided_suffix"] == "demo"
    assert raw["error"] is None  # real jobs say {}; the spec and the SDK only allow null here
    assert raw["estimated_finish"] is None


def test_job_passes_through_every_status_to_succeeded(client: openai.OpenAI, emulator: Emulator) -> None:
    job = create(client, suffix="demo")
    seen = [job.status]
    for status in ("queued", "running", "succeeded"):
        advance_to(emulator, job.id, status)
        job = client.fine_tuning.jobs.retrieve(job.id)
        seen.append(job.status)
        if status == "queued":
            assert job.hyperparameters.n_epochs == 8  # 100 // 12 examples
            assert (job.hyperparameters.batch_size, job.hyperparameters.learning_rate_multiplier) == (1, 1.8)
        if status == "running":
            assert job.estimated_finish is not None and job.estimated_finish > emulator.now()
    assert seen == ["validating_files", "queued", "running", "succeeded"]
    assert job.finished_at == int(emulator.now()) or job.finished_at is not None
    assert re.fullmatch(r"ft:gpt-4o-mini-2024-07-18:personal:demo:[A-Za-z0-9]{8}", job.fine_tuned_model or "")
    assert job.estimated_finish is None and job.error is None


def test_no_suffix_leaves_the_suffix_slot_empty(client: openai.OpenAI, emulator: Emulator) -> None:
    job = create(client)
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert re.fullmatch(r"ft:gpt-4o-mini-2024-07-18:personal::[A-Za-z0-9]{8}", job.fine_tuned_model or "")


def test_events_tell_the_story_with_real_texts(client: openai.OpenAI, emulator: Emulator) -> None:
    job = create(client, suffix="s")
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    events = all_events(client, job.id)
    messages = [e.message for e in events]
    total = 96
    assert messages[:4] == [
        f"Created fine-tuning job: {job.id}",
        f"Validating training file: {job.training_file}",
        "Files validated, moving job to queued state",
        "Fine-tuning job started",
    ]
    steps = [e for e in events if e.type == "metrics"]
    assert [e.data["step"] for e in steps] == list(range(1, total + 1))
    assert re.fullmatch(r"Step 3/96: training loss=\d+\.\d\d", steps[2].message)
    assert set(steps[0].data) == {"step", "train_loss", "total_steps", "train_mean_token_accuracy"}
    assert all(e.data["train_loss"] >= 0 for e in steps)
    checkpoints = {
        c.step_number: c.fine_tuned_model_checkpoint for c in client.fine_tuning.jobs.checkpoints.list(job.id)
    }
    assert messages[4 + total :] == [
        f"Checkpoint created at step 72 with Snapshot ID: {checkpoints[72]}",
        f"Checkpoint created at step 84 with Snapshot ID: {checkpoints[84]}",
        f"New fine-tuned model created: {job.fine_tuned_model}",
        "The job has successfully completed",
    ]
    assert all(re.fullmatch(r"ftevent-[A-Za-z0-9]{24}", e.id) for e in events)
    assert len({e.id for e in events}) == len(events)
    assert [e.created_at for e in events] == sorted(e.created_at for e in events)
    assert {e.level for e in events} == {"info"}


def test_validation_file_adds_validation_metrics(client: openai.OpenAI, emulator: Emulator) -> None:
    train, valid = upload(client, chat_file(12)), upload(client, chat_file(4), "valid.jsonl")
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=train, validation_file=valid)
    emulator.clock.advance(FOREVER)
    events = all_events(client, job.id)
    assert events[1].message == f"Validating training file: {train} and validation file: {valid}"
    steps = [e for e in events if e.type == "metrics"]
    assert re.fullmatch(r"Step 1/96: training loss=[\d.]+, validation loss=[\d.]+", steps[0].message)
    assert re.fullmatch(r"Step 12/96: .*, full validation loss=[\d.]+", steps[11].message)
    last = client.fine_tuning.jobs.checkpoints.list(job.id).data[0]
    assert set(last.metrics.model_dump(exclude_none=True)) == {
        "step",
        "train_loss",
        "train_mean_token_accuracy",
        "valid_loss",
        "valid_mean_token_accuracy",
        "full_valid_loss",
        "full_valid_mean_token_accuracy",
    }


def test_checkpoints_at_the_last_three_epochs(client: openai.OpenAI, emulator: Emulator) -> None:
    job = create(client, suffix="ck")
    assert client.fine_tuning.jobs.checkpoints.list(job.id).data == []
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert [c.step_number for c in checkpoints] == [96, 84, 72]  # 12 steps per epoch, 8 epochs
    assert checkpoints[0].fine_tuned_model_checkpoint == job.fine_tuned_model
    base = (job.fine_tuned_model or "").rsplit(":", 1)[0]
    for c in checkpoints[1:]:
        assert re.fullmatch(
            re.escape(base) + rf":[A-Za-z0-9]{{8}}:ckpt-step-{c.step_number}", c.fine_tuned_model_checkpoint
        )
        assert c.fine_tuned_model_checkpoint.split(":")[4] != (job.fine_tuned_model or "").split(":")[4]
    assert all(
        re.fullmatch(r"ftckpt_[A-Za-z0-9]{24}", c.id) and c.fine_tuning_job_id == job.id for c in checkpoints
    )
    assert all(c.metrics.step == c.step_number for c in checkpoints)


def test_trained_tokens_match_a_hand_count(client: openai.OpenAI, emulator: Emulator) -> None:
    rows = [example(i, words=" Please show your work." * (i % 3)) for i in range(15)]
    job = create(client, jsonl(rows), model="gpt-3.5-turbo-0125")
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    per_epoch = sum(tokens.count_chat_example(row["messages"], "cl100k_base") for row in rows)
    assert job.hyperparameters.n_epochs == 6  # 100 // 15
    assert job.trained_tokens == per_epoch * 6


def test_results_file_is_base64_csv_with_one_row_per_step(client: openai.OpenAI, emulator: Emulator) -> None:
    job = create(client)
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    (result_id,) = job.result_files
    meta = client.files.retrieve(result_id)
    assert (meta.purpose, meta.filename, meta.created_at) == (
        "fine-tune-results",
        "step_metrics.csv",
        job.finished_at,
    )
    csv = base64.b64decode(client.files.content(result_id).read()).decode()
    rows = csv.splitlines()
    assert rows[0] == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
    assert len(rows) == 1 + 96
    assert re.fullmatch(r"1,\d+\.\d+,\d+(\.\d+)?,,", rows[1])
    first_event = [e for e in all_events(client, job.id) if e.type == "metrics"][0]
    assert rows[1].split(",")[1] == str(first_event.data["train_loss"])


def test_model_is_listed_then_deleted_and_gone(client: openai.OpenAI, emulator: Emulator) -> None:
    job = create(client, suffix="gone")
    emulator.clock.advance(FOREVER)
    # No read of the job is needed: settling the tenant registers the model on any request.
    listed = {m.id: m for m in client.models.list()}
    job = client.fine_tuning.jobs.retrieve(job.id)
    name = job.fine_tuned_model or ""
    assert name in listed and listed[name].created == job.finished_at
    assert listed[name].owned_by.startswith("user-")
    assert client.models.retrieve(name).id == name
    assert client.models.delete(name).deleted is True
    assert name not in {m.id for m in client.models.list()}
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve(name)
    assert client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model == name  # the job still names it
    checkpoint_models = [
        c.fine_tuned_model_checkpoint for c in client.fine_tuning.jobs.checkpoints.list(job.id)
    ]
    assert not set(checkpoint_models) & {m.id for m in client.models.list()}  # checkpoints are not listed


def test_one_hundred_examples_take_about_fourteen_minutes(client: openai.OpenAI, emulator: Emulator) -> None:
    words = " ".join(["word"] * 200)
    rows = [example(i, words=" " + words) for i in range(100)]
    job = create(client, jsonl(rows), model="gpt-3.5-turbo")
    assert job.model == "gpt-3.5-turbo-0613"
    record = job_of(emulator, job.id)
    assert 15 <= record.timeline.when("queued") - job.created_at <= 30  # observed: 22 s
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.hyperparameters.n_epochs == 3
    per_example = record.billable_tokens / 100
    assert 150 <= per_example <= 350, per_example  # the calibration assumes ~243 tokens an example
    assert 12 * 60 <= (job.finished_at or 0) - job.created_at <= 16 * 60


def test_a_dozen_examples_finish_well_under_a_minute_at_the_dev_speed(
    client: openai.OpenAI, emulator: Emulator
) -> None:
    job = create(client)
    record = job_of(emulator, job.id)
    assert record.timeline.terminal.at - job.created_at < 10 * 40  # < 40 s of wall time at speed 10
    assert record.timeline.when("queued") - job.created_at >= 15  # >= 1.5 s of validating_files to see
    assert record.timeline.when("running") - record.timeline.when("queued") >= 20  # >= 2 s queued


def test_fine_tuning_a_fine_tuned_model(client: openai.OpenAI, emulator: Emulator) -> None:
    first = create(client, suffix="one")
    emulator.clock.advance(FOREVER)
    parent = client.fine_tuning.jobs.retrieve(first.id).fine_tuned_model or ""
    second = create(client, model=parent, suffix="two")
    assert second.model == parent
    emulator.clock.advance(FOREVER)
    child = client.fine_tuning.jobs.retrieve(second.id).fine_tuned_model or ""
    assert child.startswith("ft:gpt-4o-mini-2024-07-18:personal:two:")
