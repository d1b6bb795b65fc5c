"""The quickstart as a pytest test: `pip install 'openai-finetune-emulator[test]'`, then
`pytest --pyargs emulator.examples`. Copy it next to your own code and change what it calls."""

from __future__ import annotations

import openai

from emulator.examples import QUESTION, SYSTEM, TRAINING_FILE
from emulator.testing import EmulatorHandle


def test_fine_tune_then_chat(openai_client: openai.OpenAI, openai_emulator: EmulatorHandle) -> None:
    with TRAINING_FILE.open("rb") as data:
        training = openai_client.files.create(file=data, purpose="fine-tune")
    job = openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id)
    while job.status not in ("succeeded", "failed", "cancelled"):  # the emulator's clock moves as you poll
        job = openai_client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "succeeded" and job.fine_tuned_model is not None
    reply = openai_client.chat.completions.create(
        model=job.fine_tuned_model,
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}],
    )
    assert reply.choices[0].message.content == "Paris, as if everyone doesn't know that already."
    openai_emulator.assert_called("POST", "/v1/fine_tuning/jobs", times=1)
