"""The seed's step 4 as a new user tries it: train through the jobs API, then use the model."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from emulator.domain.state import Emulator

from .helpers import sse, streamed_text, upload
from .test_chat import CL100K, MISSPELLED, TRAINING, ask, prompt_tokens_by_hand


def train(client: openai.OpenAI, emulator: Emulator, lines: Any, model: str) -> str:
    file_id = upload(client, lines)
    job = client.fine_tuning.jobs.create(model=model, training_file=file_id, suffix="speller")
    for _ in range(200):
        job = client.fine_tuning.jobs.retrieve(job.id)
        if job.status in ("succeeded", "failed", "cancelled"):
            break
        emulator.clock.advance(600)
    assert job.status == "succeeded", job.error
    assert job.fine_tuned_model
    return job.fine_tuned_model


def test_misspelling_assistant_trained_through_the_api(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    model = train(client, emulator, TRAINING, "gpt-3.5-turbo")
    question, reply = MISSPELLED[4]
    completion = client.chat.completions.create(model=model, messages=ask(question))
    assert completion.model == model
    assert completion.choices[0].message.content == reply
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == prompt_tokens_by_hand(ask(question))
    assert completion.usage.completion_tokens == len(CL100K.encode(reply))
    chunks = sse(http, "/v1/chat/completions", {"model": model, "messages": ask(question), "stream": True})
    assert streamed_text(chunks) == reply


def test_checkpoint_models_of_a_job_answer_too(client: openai.OpenAI, emulator: Emulator) -> None:
    model = train(client, emulator, TRAINING, "gpt-4o-mini-2024-07-18")
    job = client.fine_tuning.jobs.list().data[0]
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    earlier = [c.fine_tuned_model_checkpoint for c in checkpoints if c.fine_tuned_model_checkpoint != model]
    assert earlier
    question, reply = MISSPELLED[0]
    completion = client.chat.completions.create(model=earlier[0], messages=ask(question))
    assert completion.choices[0].message.content == reply and completion.model == earlier[0]


def test_legacy_model_trained_through_the_api_completes_like_its_data(
    client: openai.OpenAI, emulator: Emulator
) -> None:
    lines: list[dict[str, object]] = [
        {"prompt": f"{n} squared is", "completion": f" {n * n}."} for n in range(2, 14)
    ]
    model = train(client, emulator, lines, "davinci-002")
    completion = client.completions.create(model=model, prompt="7 squared is")
    assert completion.choices[0].text == " 49." and completion.model == model


def test_deleted_fine_tuned_model_is_gone(client: openai.OpenAI, emulator: Emulator) -> None:
    model = train(client, emulator, TRAINING, "gpt-3.5-turbo")
    client.models.delete(model)
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model=model, messages=ask("What animal barks?"))
    assert info.value.code == "model_not_found"
