"""Reinforcement fine-tuning jobs: grader and hyperparameter checks, allowed models, and reward metrics in
events and checkpoints as the job runs on the clock."""

from __future__ import annotations

from typing import Any, cast

import openai
import pytest

from emulator.domain.state import Emulator

from .conftest import advance_to, all_events, jsonl, upload

GRADER: dict[str, Any] = {
    "type": "string_check",
    "name": "exact",
    "input": "{{sample.output_text}}",
    "reference": "{{item.answer}}",
    "operation": "eq",
}


def rft_file(n: int = 12) -> bytes:
    return jsonl(
        [
            {"messages": [{"role": "user", "content": f"What is {i} plus {i}?"}], "answer": str(2 * i)}
            for i in range(n)
        ]
    )


def rft_job(client: openai.OpenAI, *, model: str = "o4-mini", validation: bool = True, **method: Any) -> Any:
    body: dict[str, Any] = {"grader": GRADER, **method}
    return client.fine_tuning.jobs.create(
        model=model,
        training_file=upload(client, rft_file()),
        validation_file=upload(client, rft_file(6), "valid.jsonl") if validation else openai.omit,
        method=cast(Any, {"type": "reinforcement", "reinforcement": body}),
    )


def test_reinforcement_job_echoes_grader_and_hyperparameters(client: openai.OpenAI) -> None:
    job = rft_job(client, hyperparameters={"reasoning_effort": "low", "eval_interval": 2})
    assert job.model == "o4-mini-2025-04-16"
    assert job.method is not None and job.method.type == "reinforcement"
    rft = job.method.reinforcement
    assert rft is not None and rft.grader.type == "string_check"
    assert rft.hyperparameters is not None and rft.hyperparameters.reasoning_effort == "low"


def test_reward_metrics_in_events_and_checkpoints(client: openai.OpenAI, emulator: Emulator) -> None:
    job = rft_job(client, hyperparameters={"eval_interval": 2, "n_epochs": 3})
    advance_to(emulator, job.id, "succeeded")
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded" and done.fine_tuned_model is not None
    metrics = [e.data for e in all_events(client, job.id) if e.type == "metrics"]
    assert metrics and all(0 <= m["train_reward_mean"] <= 1 for m in metrics)
    evals = [m for m in metrics if "valid_reward_mean" in m]
    assert [m["step"] for m in evals] == [
        s for s in range(1, len(metrics) + 1) if s % 2 == 0 or s == len(metrics)
    ]
    assert "train reward=" in next(e.message for e in all_events(client, job.id) if e.type == "metrics")
    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id))
    assert checkpoints
    for checkpoint in checkpoints:
        extra = checkpoint.metrics.model_extra or {}
        assert 0 <= extra["train_reward_mean"] <= 1 and 0 <= extra["valid_reward_mean"] <= 1
    first, last = metrics[0]["train_reward_mean"], metrics[-1]["train_reward_mean"]
    assert last > first  # the policy learns


def test_rewards_are_deterministic_for_the_same_seed(client: openai.OpenAI, emulator: Emulator) -> None:
    runs = []
    for _ in range(2):
        job = rft_job(client, validation=False)
        advance_to(emulator, job.id, "succeeded")
        runs.append([e.data for e in all_events(client, job.id) if e.type == "metrics"])
        emulator.reset()
    assert runs[0] == runs[1]


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-4.1-2025-04-14"])
def test_reinforcement_only_on_reasoning_models(client: openai.OpenAI, model: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        rft_job(client, model=model)
    assert caught.value.param == "method.type" and "reinforcement" in caught.value.message


@pytest.mark.parametrize(
    ("method", "param"),
    [
        ({"grader": {**GRADER, "operation": "startswith"}}, "method.reinforcement.grader.operation"),
        (
            {"grader": {"type": "python", "name": "p", "source": "def grade(:\n"}},
            "method.reinforcement.grader.source",
        ),
        ({"grader": {**GRADER, "type": "label_model"}}, "method.reinforcement.grader.type"),
        (
            {"hyperparameters": {"reasoning_effort": "extreme"}},
            "method.reinforcement.hyperparameters.reasoning_effort",
        ),
        (
            {"hyperparameters": {"compute_multiplier": 11}},
            "method.reinforcement.hyperparameters.compute_multiplier",
        ),
        ({"hyperparameters": {"eval_interval": 0}}, "method.reinforcement.hyperparameters.eval_interval"),
    ],
)
def test_bad_grader_or_hyperparameters_are_400(
    client: openai.OpenAI, method: dict[str, Any], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        rft_job(client, **method)
    assert caught.value.param == param
    assert client.fine_tuning.jobs.list().data == []


def test_missing_grader_is_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.fine_tuning.jobs.create(
            model="o4-mini",
            training_file=upload(client, rft_file()),
            method=cast(Any, {"type": "reinforcement", "reinforcement": {}}),
        )
    assert caught.value.code == "missing_required_parameter"
    assert caught.value.param == "method.reinforcement.grader"


@pytest.mark.anyio
async def test_async_client_creates_a_reinforcement_job(async_client: openai.AsyncOpenAI) -> None:
    training = await async_client.files.create(file=("rft.jsonl", rft_file()), purpose="fine-tune")
    job = await async_client.fine_tuning.jobs.create(
        model="o4-mini",
        training_file=training.id,
        method=cast(Any, {"type": "reinforcement", "reinforcement": {"grader": GRADER}}),
    )
    assert job.method is not None and job.method.type == "reinforcement"
    assert (await async_client.fine_tuning.jobs.retrieve(job.id)).model == "o4-mini-2025-04-16"
