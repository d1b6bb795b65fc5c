"""A client session worth recording: models, an upload, a job run to success, its events and checkpoints,
a chat with the fine-tuned model (plain and streamed), and two errors. Drives any OpenAI-compatible URL
(the clock advance goes through the emulator's control API, recorded like the rest)."""

from __future__ import annotations

import io

import httpx
import openai

TRAINING = (
    b'{"messages": [{"role": "user", "content": "Capital of France?"}, '
    b'{"role": "assistant", "content": "Paris."}]}\n'
) * 12
SECRET_KEY = "sk-proj-TopSecretKey0123456789abcdefghij"


def run(origin: str) -> None:
    client = openai.OpenAI(
        base_url=origin + "/v1", api_key=SECRET_KEY, organization="org-SecretOrg12345", max_retries=0
    )
    client.models.list()
    client.models.retrieve("gpt-4o-mini")
    training = client.files.create(file=("train.jsonl", io.BytesIO(TRAINING)), purpose="fine-tune")
    client.files.retrieve(training.id)
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id, seed=7)
    client.fine_tuning.jobs.retrieve(job.id)
    httpx.post(f"{origin}/_emulator/clock/advance", json={"duration": "2h"}, timeout=10).raise_for_status()
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded", done.status
    client.fine_tuning.jobs.list_events(job.id, limit=5)
    client.fine_tuning.jobs.checkpoints.list(job.id)
    client.fine_tuning.jobs.list(limit=1)
    question = [{"role": "user", "content": "Capital of France?"}]
    assert done.fine_tuned_model
    client.chat.completions.create(model=done.fine_tuned_model, messages=question)  # type: ignore[arg-type]
    for _ in client.chat.completions.create(model=done.fine_tuned_model, messages=question, stream=True):  # type: ignore[arg-type]
        pass
    try:
        client.files.retrieve("file-doesnotexist000000000000")
    except openai.NotFoundError:
        pass
    try:
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-doesnotexist000000000000")
    except openai.BadRequestError:
        pass
