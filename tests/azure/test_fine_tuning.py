"""Azure fine-tuning through the official AzureOpenAI clients against a live emulator: Azure's ids and model
names, trainingType and the models each allows, methods, pause/resume/cancel, events and checkpoints, in
both API styles."""

from __future__ import annotations

import json
import re
from typing import Any, cast

import openai
import pytest

from emulator.testing import EmulatorHandle

from .conftest import BASE, DATED, TRAINING

pytestmark = pytest.mark.emulator(mode="live")
UNSUPPORTED = "The specified base model does not support fine-tuning."
HEX32 = r"[0-9a-f]{32}"


def _job(client: openai.AzureOpenAI, model: str = BASE, **kwargs: Any) -> Any:
    training = client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    return client.fine_tuning.jobs.create(model=model, training_file=training.id, **kwargs)


def test_azure_ids_and_model_names(openai_emulator: EmulatorHandle, api_version: str) -> None:
    client = openai_emulator.azure_client(api_version=api_version)
    job = _job(client, suffix="support")
    assert re.fullmatch("ftjob-" + HEX32, job.id)
    done = openai_emulator.run_job(job.id)
    assert done.status == "succeeded"
    model = client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    assert model == f"{BASE}.ft-{job.id.removeprefix('ftjob-')}-support"
    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id))
    assert len(checkpoints) == 3 and all(re.fullmatch("ftchkpt-" + HEX32, c.id) for c in checkpoints)
    assert checkpoints[0].fine_tuned_model_checkpoint == model
    assert all(c.fine_tuned_model_checkpoint == f"{model}:ckpt-step-{c.step_number}" for c in checkpoints[1:])
    assert client.models.retrieve(model).id == model


def test_training_types_and_the_models_they_allow(azure_client: openai.AzureOpenAI) -> None:
    for training_type in ("Standard", "globalstandard", "GlobalStandard"):
        assert _job(azure_client, extra_body={"trainingType": training_type}).id.startswith("ftjob-")
    developer = {"trainingType": "developerTier"}
    assert _job(azure_client, model="gpt-4.1-mini-2025-04-14", extra_body=developer).id
    with pytest.raises(openai.BadRequestError) as caught:  # the developer tier trains the gpt-4.1 family only
        _job(azure_client, extra_body={"trainingType": "developerTier"})
    assert caught.value.body == {"code": "invalidPayload", "message": UNSUPPORTED, "param": "model",
                                 "type": "error", "inner_error": None}
    with pytest.raises(openai.BadRequestError) as unknown:
        _job(azure_client, extra_body={"trainingType": "Provisioned"})
    assert isinstance(unknown.value.body, dict) and unknown.value.body["param"] == "trainingType"


def test_a_model_azure_does_not_fine_tune_is_refused(azure_client: openai.AzureOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _job(azure_client, model="gpt-3.5-turbo-0125")
    assert isinstance(caught.value.body, dict) and caught.value.body["message"] == UNSUPPORTED


def test_o4_mini_trains_by_reinforcement_only(azure_client: openai.AzureOpenAI) -> None:
    rows = [{"messages": [{"role": "user", "content": f"{i}+{i}?"}], "answer": str(2 * i)} for i in range(12)]
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    training = azure_client.files.create(file=("rft.jsonl", data), purpose="fine-tune")
    grader = {"type": "string_check", "name": "exact", "input": "{{sample.output_text}}",
              "reference": "{{item.answer}}", "operation": "eq"}
    job = azure_client.fine_tuning.jobs.create(
        model="o4-mini-2025-04-16", training_file=training.id,
        method=cast(Any, {"type": "reinforcement", "reinforcement": {"grader": grader}}))
    assert job.method is not None and job.method.type == "reinforcement"
    with pytest.raises(openai.BadRequestError):
        azure_client.fine_tuning.jobs.create(model="o4-mini-2025-04-16", training_file=training.id)


def test_dpo_is_a_method_too(azure_client: openai.AzureOpenAI) -> None:
    row = {"input": {"messages": [{"role": "user", "content": "Hi"}]},
           "preferred_output": [{"role": "assistant", "content": "Hello!"}],
           "non_preferred_output": [{"role": "assistant", "content": "Go away."}]}
    training = azure_client.files.create(file=("dpo.jsonl", (json.dumps(row) + "\n").encode() * 12),
                                         purpose="fine-tune")
    job = azure_client.fine_tuning.jobs.create(model="gpt-4.1-mini-2025-04-14", training_file=training.id,
                                               method={"type": "dpo"})
    assert job.method is not None and job.method.type == "dpo"


def test_pause_resume_cancel_and_events(openai_emulator: EmulatorHandle, api_version: str) -> None:
    client = openai_emulator.azure_client(api_version=api_version)
    job = _job(client)
    with pytest.raises(openai.BadRequestError):  # pause only a running job
        client.fine_tuning.jobs.pause(job.id)
    openai_emulator.run_job(job.id, "running")
    openai_emulator.advance("2m")  # at least one step
    assert client.fine_tuning.jobs.pause(job.id).status == "paused"  # type: ignore[comparison-overlap]
    resumed = client.fine_tuning.jobs.resume(job.id).status  # back in the queue: `pending` on the dated API
    assert resumed == ("pending" if api_version == DATED else "queued")
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"
    events = list(client.fine_tuning.jobs.list_events(job.id))
    assert events and all(re.fullmatch("ftevent-" + HEX32, e.id) for e in events)
    page = client.fine_tuning.jobs.list_events(job.id, limit=2)
    after = client.fine_tuning.jobs.list_events(job.id, limit=2, after=page.data[-1].id)
    assert [e.id for e in after.data] == [e.id for e in events[2:4]]  # the cursor decodes Azure's ids


def test_dated_list_pages_report_pending(openai_emulator: EmulatorHandle) -> None:
    client = openai_emulator.azure_client(api_version=DATED)
    first, second = _job(client), _job(client)
    page = client.fine_tuning.jobs.list(limit=1)
    assert [j.id for j in page.data] == [second.id] and page.has_more
    assert {j.status for j in client.fine_tuning.jobs.list().data} == {"pending"}
    assert first.status == "pending"


@pytest.mark.anyio
async def test_the_async_client_runs_a_job(openai_emulator: EmulatorHandle,
                                           async_azure_client: openai.AsyncAzureOpenAI) -> None:
    training = await async_azure_client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    job = await async_azure_client.fine_tuning.jobs.create(model=BASE, training_file=training.id)
    openai_emulator.run_job(job.id)
    done = await async_azure_client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded" and done.fine_tuned_model is not None
    assert done.fine_tuned_model.startswith(BASE + ".ft-")


DESTINATION = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/other"
COPY = {"aoai-copy-ft-checkpoints": "preview"}


def test_checkpoint_copy_is_a_long_running_preview(openai_emulator: EmulatorHandle) -> None:
    client = openai_emulator.azure_client(api_version="v1")
    job = _job(client)
    openai_emulator.run_job(job.id)
    checkpoint = list(client.fine_tuning.jobs.checkpoints.list(job.id))[1]
    path = f"/fine_tuning/jobs/{job.id}/checkpoints/{checkpoint.id}/copy"
    body = {"destinationResourceId": DESTINATION, "region": "swedencentral"}
    with pytest.raises(openai.BadRequestError):  # without the preview header
        client.post(path, body=body, cast_to=object)
    started = client.post(path, body=body, cast_to=object, options={"headers": COPY})
    assert started == {
        "checkpointedModelName": checkpoint.fine_tuned_model_checkpoint,
        "fineTuningJobId": job.id,
        "copiedAccountDetails": [
            {"destinationResourceId": DESTINATION, "region": "swedencentral", "status": "InProgress"}
        ],
    }
    openai_emulator.advance("10m")
    status = client.get(path, cast_to=object, options={"headers": COPY})
    assert isinstance(status, dict) and status["copiedAccountDetails"][0]["status"] == "Completed"
    with pytest.raises(openai.BadRequestError):
        client.post(path, body={"destinationResourceId": "other", "region": "x"}, cast_to=object,
                    options={"headers": COPY})
    with pytest.raises(openai.NotFoundError):
        client.get(f"/fine_tuning/jobs/{job.id}/checkpoints/ftchkpt-{'0' * 32}/copy", cast_to=object,
                   options={"headers": COPY})
