"""Validation: synchronous 400s for request-level problems, asynchronous failures with OpenAI's codes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from emulator.domain.state import Emulator

from .conftest import FOREVER, advance_to, all_events, chat_file, create, example, job_of, jsonl, upload


def failed(client: openai.OpenAI, emulator: Emulator, data: bytes, **kwargs: Any) -> Any:
    job = create(client, data, **kwargs)
    assert job.status == "validating_files"  # failures are asynchronous
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "failed"
    assert job.finished_at is None and job.fine_tuned_model is None and job.trained_tokens is None
    assert job.hyperparameters.n_epochs == "auto"  # never resolved
    return job


def test_too_few_examples(client: openai.OpenAI, emulator: Emulator) -> None:
    job = failed(client, emulator, chat_file(7))
    assert job.error is not None
    assert (job.error.code, job.error.param) == ("invalid_n_examples", "training_file")
    assert job.error.message == "Training file has 7 example(s), but must have at least 10 examples"
    events = all_events(client, job.id)
    assert (events[-1].level, events[-1].message) == ("error", job.error.message)
    assert [e.message for e in events[:2]][0].startswith("Created fine-tuning job")


def test_failure_lands_at_the_end_of_validation(client: openai.OpenAI, emulator: Emulator) -> None:
    job = create(client, chat_file(3))
    advance_to(emulator, job.id, "failed")
    assert client.fine_tuning.jobs.retrieve(job.id).status == "failed"
    assert job_of(emulator, job.id).timeline.when("failed") - job.created_at >= 15


BAD = [
    pytest.param(
        [example(0), {"messages": [{"role": "user", "content": "x"}, {"content": "y"}]}],
        "invalid_training_file",
        "The job failed due to an invalid training file. Invalid file format. Example 2, message 2 "
        "Discriminator 'role' is missing in value",
        id="missing-role",
    ),
    pytest.param(
        [{"messages": [{"role": "bot", "content": "x"}]}],
        "invalid_training_file",
        "The job failed due to an invalid training file. Invalid file format. Example 1, message 1 No match "
        "for "
        "discriminator 'role' and value 'bot' (allowed values: 'system', 'user', 'assistant', 'tool', "
        "'function')",
        id="bad-role",
    ),
    pytest.param(
        [{"messages": [{"role": "user", "content": "only a question"}]}],
        "invalid_training_file",
        "The job failed due to an invalid training file. Invalid file format. Example 1 must have at least "
        "one "
        "message with role 'assistant'.",
        id="no-assistant",
    ),
    pytest.param(
        [{**example(0), "weight": 1}],
        "invalid_file_format",
        "The job failed due to a file format error in the training file. Invalid file format. Example 1 "
        "contains "
        'an extra "weight".',
        id="extra-key",
    ),
    pytest.param(
        ["not json at all"],
        "invalid_file_format",
        "The job failed due to a file format error in the training file. Invalid file format. Expected file "
        "to "
        "have JSONL format, where every line is a JSON dictionary. Line 1 is not a dictionary (HINT: "
        "line "
        'starts with: "not ...").',
        id="not-jsonl",
    ),
    pytest.param(
        [
            {
                "messages": [
                    {"role": "user", "content": "a <|fim_suffix|> b"},
                    {"role": "assistant", "content": "c"},
                ]
            }
        ],
        "invalid_file_format",
        "The job failed due to a file format error in the training file. Invalid file format. Example 1 "
        "message "
        "contains an invalid token: <|fim_suffix|>.",
        id="special-token",
    ),
    pytest.param(
        [{"text": "neither chat nor prompt/completion"}],
        "invalid_training_file",
        "The job failed due to an invalid training file. Unexpected file format, expected either "
        "prompt/completion pairs or chat messages.",
        id="unknown-shape",
    ),
    pytest.param(
        [{"messages": [{"role": "user", "content": 5}, {"role": "assistant", "content": "c"}]}],
        "invalid_training_file",
        "The job failed due to an invalid training file. Invalid file format. Example 1, message 1 'content' "
        "must be a string.",
        id="content-type",
    ),
    pytest.param(
        [
            {
                "messages": [
                    {"role": "user", "content": "q"},
                    {"role": "assistant", "content": "a", "weight": 2},
                ]
            }
        ],
        "invalid_training_file",
        "The job failed due to an invalid training file. Invalid file format. Example 1, message 2 'weight' "
        "must "
        "be 0 or 1.",
        id="weight",
    ),
]


@pytest.mark.parametrize(("first", "code", "message"), BAD)
def test_invalid_file_fails_with_openai_code(
    client: openai.OpenAI, emulator: Emulator, first: list[Any], code: str, message: str
) -> None:
    job = failed(client, emulator, jsonl([*first, *[example(i) for i in range(12)]]))
    assert job.error is not None
    assert (job.error.code, job.error.param, job.error.message) == (code, "training_file", message)


def test_chat_file_with_dpo_method_names_the_mismatch(client: openai.OpenAI, emulator: Emulator) -> None:
    job = failed(client, emulator, chat_file(12), model="gpt-4o-2024-08-06", method={"type": "dpo"})
    assert job.error is not None and job.error.code == "invalid_training_file"
    assert job.error.message == (
        "The job failed due to an invalid training file. Invalid file format. Input file "
        f"{job.training_file} is in the fine-tune-chat format, but the specified fine-tuning job is not "
        "using "
        "'supervised' as the training method (provided method=dpo). "
    )


def preference(n: int) -> dict[str, Any]:
    return {
        "input": {"messages": [{"role": "user", "content": f"Say {n}"}]},
        "preferred_completion": [{"role": "assistant", "content": f"{n}"}],
        "non_preferred_completion": [{"role": "assistant", "content": f"No, {n + 1}"}],
    }


def test_dpo_job_on_preference_data_succeeds(
    client: openai.OpenAI, emulator: Emulator, http: httpx.Client
) -> None:
    job = create(
        client,
        jsonl([preference(i) for i in range(12)]),
        model="gpt-4o-2024-08-06",
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 1.5}}},
    )
    emulator.clock.advance(FOREVER)
    raw = http.get(f"/v1/fine_tuning/jobs/{job.id}").json()
    assert raw["status"] == "succeeded"
    assert raw["method"]["dpo"]["hyperparameters"] == {
        "beta": 1.5,
        "batch_size": 1,
        "learning_rate_multiplier": 1.8,
        "n_epochs": 8,
    }


def test_preference_file_needs_the_dpo_method(client: openai.OpenAI, emulator: Emulator) -> None:
    job = failed(client, emulator, jsonl([preference(i) for i in range(12)]))
    assert job.error is not None and "is in the fine-tune-preference format" in job.error.message
    assert "not using 'dpo' as the training method (provided method=supervised)" in job.error.message


def test_completion_models_take_prompt_completion_pairs(client: openai.OpenAI, emulator: Emulator) -> None:
    rows = [{"prompt": f"{n} squared is", "completion": f" {n * n}."} for n in range(12)]
    job = create(client, jsonl(rows), model="babbage-002")
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "succeeded" and (job.fine_tuned_model or "").startswith("ft:babbage-002:personal::")
    chat = failed(client, emulator, chat_file(12), model="davinci-002")
    assert chat.error is not None and chat.error.message.endswith(
        "is in the fine-tune-chat format, but model davinci-002 requires the fine-tune-completion format."
    )


def test_invalid_validation_file_names_it(client: openai.OpenAI, emulator: Emulator) -> None:
    train, valid = upload(client, chat_file(12)), upload(client, jsonl(["{oops"]), "valid.jsonl")
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=train, validation_file=valid)
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.error is not None
    assert (job.error.code, job.error.param) == ("invalid_file_format", "validation_file")
    assert job.error.message.startswith("The job failed due to a file format error in the validation file.")


def test_flagged_training_data_fails_the_safety_screening(client: openai.OpenAI, emulator: Emulator) -> None:
    rows = [example(i) for i in range(10)] + [example(i, words=" I will hurt you.") for i in range(2)]
    job = failed(client, emulator, jsonl(rows))
    assert job.error is not None and job.error.code == "invalid_training_file"
    assert job.error.message == (
        "The job failed due to an invalid training file. This training file was blocked because too many "
        "examples were flagged by our moderation API for containing content that violates OpenAI's usage "
        "policies in the following categories: harassment, harassment/threatening. Use the free OpenAI "
        "Moderation API to identify these examples and remove them from your training data. See "
        "https://platform.openai.com/docs/guides/moderation for more information."
    )


def test_a_single_flagged_example_in_a_larger_file_passes(client: openai.OpenAI, emulator: Emulator) -> None:
    rows = [example(i) for i in range(40)] + [example(0, words=" [moderation:violence]")]
    job = create(client, jsonl(rows))
    emulator.clock.advance(FOREVER)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "succeeded"


def test_long_examples_are_truncated_with_a_warning(client: openai.OpenAI, emulator: Emulator) -> None:
    long = {"messages": [{"role": "user", "content": "word " * 5000}, {"role": "assistant", "content": "ok"}]}
    job = create(client, jsonl([long, *[example(i) for i in range(11)]]), model="gpt-3.5-turbo")
    advance_to(emulator, job.id, "queued")
    events = all_events(client, job.id)
    warn = [e for e in events if e.level == "warn"]
    assert len(warn) == 1
    assert warn[0].message.startswith("Example 1 has ")
    assert warn[0].message.endswith(
        "more than the 4096-token limit for gpt-3.5-turbo-0613; it will be truncated to 4096 tokens."
    )
    assert events.index(warn[0]) == len(events) - 2  # just before "Files validated"
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    record = job_of(emulator, job.id)
    assert job.status == "succeeded"
    assert job.trained_tokens == record.billable_tokens * 8
    assert record.billable_tokens < 4096 + 11 * 40


# -- synchronous 400s ----------------------------------------------------------------------------------


def bad_request(client: openai.OpenAI, **kwargs: Any) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(**kwargs)
    assert info.value.type == "invalid_request_error"
    return info.value


def test_unknown_training_file(client: openai.OpenAI) -> None:
    error = bad_request(client, model="gpt-4o-mini", training_file="file-nope")
    assert (error.param, error.code, error.body["message"]) == (  # type: ignore[index]
        "training_file",
        None,
        "invalid training_file: file-nope",
    )


def test_unknown_validation_file(client: openai.OpenAI) -> None:
    train = upload(client, chat_file(12))
    error = bad_request(client, model="gpt-4o-mini", training_file=train, validation_file="file-nope")
    assert error.param == "validation_file"
    assert error.body["message"] == "invalid validation_file: file-nope"  # type: ignore[index]


def test_training_file_with_the_wrong_purpose(client: openai.OpenAI) -> None:
    file_id = upload(client, chat_file(12), purpose="batch")
    error = bad_request(client, model="gpt-4o-mini", training_file=file_id)
    assert error.param == "training_file"
    assert error.body["message"].startswith(f"invalid training_file: {file_id}. The file has purpose 'batch'")  # type: ignore[index]


@pytest.mark.parametrize(
    "model",
    [
        "gpt-4o-audio-preview",
        "gpt-3.5-turbo-instruct",
        "text-moderation-latest",
        "ft:gpt-4o-mini-2024-07-18:personal::nothere1",
    ],
)
def test_model_not_available(client: openai.OpenAI, model: str) -> None:
    error = bad_request(client, model=model, training_file=upload(client, chat_file(12)))
    assert (error.code, error.param) == ("model_not_available", None)
    assert error.body["message"] == f"Model {model} is not available for fine-tuning or does not exist."  # type: ignore[index]


@pytest.mark.parametrize(
    ("extra", "param", "code"),
    [
        ({"hyperparameters": {"n_epochs": 51}}, "hyperparameters.n_epochs", "integer_above_max_value"),
        ({"hyperparameters": {"batch_size": 0}}, "hyperparameters.batch_size", "integer_below_min_value"),
        (
            {"hyperparameters": {"learning_rate_multiplier": 0}},
            "hyperparameters.learning_rate_multiplier",
            "decimal_below_min_value",
        ),
        ({"hyperparameters": {"n_epochs": "many"}}, "hyperparameters.n_epochs", "invalid_value"),
        (
            {"method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 0}}}},
            "method.supervised.hyperparameters.n_epochs",
            "integer_below_min_value",
        ),
        (
            {"method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 3}}}},
            "method.dpo.hyperparameters.beta",
            "decimal_above_max_value",
        ),
        ({"method": {"type": "sideways"}}, "method.type", "invalid_value"),
        ({"suffix": "x" * 65}, "suffix", "string_above_max_length"),
        ({"seed": -1}, "seed", "integer_below_min_value"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", "object_above_max_properties"),
        ({"metadata": {"k": "v" * 513}}, "metadata.k", "string_above_max_length"),
        (
            {"integrations": [{"type": "slack", "wandb": {"project": "p"}}]},
            "integrations[0].type",
            "invalid_value",
        ),
        (
            {"integrations": [{"type": "wandb", "wandb": {}}]},
            "integrations[0].wandb.project",
            "missing_required_parameter",
        ),
    ],
)
def test_out_of_range_parameters(client: openai.OpenAI, extra: dict[str, Any], param: str, code: str) -> None:
    error = bad_request(
        client, model="gpt-4o-mini", training_file=upload(client, chat_file(12)), extra_body=extra
    )
    assert (error.param, error.code) == (param, code)


def test_unknown_parameter(http: httpx.Client) -> None:
    response = http.post(
        "/v1/fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": "f", "top_k": 1}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Unrecognized request argument supplied: top_k"


def test_missing_model(http: httpx.Client) -> None:
    response = http.post("/v1/fine_tuning/jobs", content=json.dumps({"training_file": "f"}))
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "model"


def test_wandb_integration_and_metadata_are_echoed(client: openai.OpenAI) -> None:
    job = create(
        client,
        integrations=[{"type": "wandb", "wandb": {"project": "p", "tags": ["t"]}}],
        metadata={"a": "b"},
    )
    assert job.integrations is not None and job.integrations[0].wandb.project == "p"
    assert job.integrations[0].wandb.tags == ["t"] and job.metadata == {"a": "b"}
