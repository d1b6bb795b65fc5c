"""State survives what happens to its sources, and failures leave no trace: what a fine-tuned model learned
is fixed when its job runs, and a refused create changes nothing (not even the next id)."""

from __future__ import annotations

import json

import httpx
import openai
from openai.types.chat import ChatCompletionMessageParam

from emulator.domain.state import Emulator

MODEL = "gpt-4o-mini-2024-07-18"
QUESTION: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "What colour is the reliability heron?"}
]


def _training() -> bytes:
    examples = [
        {
            "messages": [
                {"role": "user", "content": f"What colour is the reliability heron number {n}?"},
                {"role": "assistant", "content": f"The reliability heron {n} is ultramarine with {n} spots."},
            ]
        }
        for n in range(12)
    ]
    return b"".join(json.dumps(e).encode() + b"\n" for e in examples)


def _fine_tune(client: openai.OpenAI, http: httpx.Client, *, delete_file: bool) -> str:
    file = client.files.create(file=("herons.jsonl", _training()), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model=MODEL, training_file=file.id)
    run = http.post(f"/_emulator/jobs/{job.id}/run", json={"until": "succeeded"})
    assert run.status_code == 200, run.text
    model = client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    assert model is not None
    if delete_file:
        assert client.files.delete(file.id).deleted
    reply = client.chat.completions.create(model=model, messages=QUESTION, seed=1).choices[0].message.content
    assert reply is not None
    return reply


def test_deleting_the_training_file_does_not_change_what_the_model_learned(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    kept = _fine_tune(client, http, delete_file=False)
    emulator.reset()
    deleted = _fine_tune(client, http, delete_file=True)
    assert "ultramarine" in kept
    assert deleted == kept


def test_refused_creates_leave_the_tenant_as_it_was(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    def ids() -> tuple[str, str]:
        file = client.files.create(file=("ok.jsonl", _training()), purpose="fine-tune")
        job = client.fine_tuning.jobs.create(model=MODEL, training_file=file.id)
        return file.id, job.id

    expected = ids()
    emulator.reset()
    refused = [
        http.post("/v1/files", data={"purpose": "nope"}, files={"file": ("a.jsonl", b"{}\n")}),
        http.post("/v1/files", data={"purpose": "fine-tune"}, files={"file": ("a.csv", b"{}\n")}),
        http.post("/v1/fine_tuning/jobs", json={"model": MODEL, "training_file": "file-missing"}),
        http.post("/v1/fine_tuning/jobs", json={"model": "no-such-model", "training_file": "file-missing"}),
        http.post("/v1/fine_tuning/jobs", content=b"{", headers={"content-type": "application/json"}),
        http.post(
            "/v1/uploads", json={"filename": "a.jsonl", "purpose": "fine-tune", "bytes": -1, "mime_type": "x"}
        ),
    ]
    assert all(r.status_code == 400 for r in refused), [r.text for r in refused]
    assert client.files.list().data == []
    assert client.fine_tuning.jobs.list().data == []
    assert ids() == expected
