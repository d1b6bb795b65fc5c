"""Calls in the style of the SDK's generated resource tests (fixed ids, placeholder values, all-params calls):
they pass in lenient mode, and strict mode (the default) answers each with OpenAI's 404/400/401."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any, cast

import httpcore2  # noqa: F401  (kept loaded across pytester's in-process runs, as in test_pytest_plugin)
import httpx
import openai
import pytest

from emulator import EmulatorServer
from emulator.domain.state import Emulator

from ..conftest import ContractLog
from ..jobs.conftest import JobsContractLog

pytest_plugins = ["pytester"]

FILE_ID = "file-abc123"
JOB_ID = "ft-AF1WoRqd3aJAHsqc9NY7iL8F"
MODEL = "ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd"
PERMISSION_ID = "cp_zc4Q7MP6XxulcVzj4MZdwsAB"
COMPLETION_ID = "chatcmpl-abc123"
GRADER: dict[str, Any] = {
    "input": "input",
    "name": "name",
    "operation": "eq",
    "reference": "reference",
    "type": "string_check",
}
ALL_METHOD_PARAMS: dict[str, Any] = {
    "type": "supervised",
    "dpo": {
        "hyperparameters": {
            "batch_size": "auto",
            "beta": "auto",
            "learning_rate_multiplier": "auto",
            "n_epochs": "auto",
        }
    },
    "reinforcement": {
        "grader": GRADER,
        "hyperparameters": {
            "batch_size": "auto",
            "compute_multiplier": "auto",
            "eval_interval": "auto",
            "eval_samples": "auto",
            "learning_rate_multiplier": "auto",
            "n_epochs": "auto",
            "reasoning_effort": "default",
        },
    },
    "supervised": {
        "hyperparameters": {"batch_size": "auto", "learning_rate_multiplier": "auto", "n_epochs": "auto"}
    },
}


@pytest.fixture
def contract_log() -> Iterator[ContractLog]:
    log = JobsContractLog()
    yield log
    assert not log.violations, "responses violate the OpenAPI contract:\n" + "\n".join(log.violations)


def _control(server: EmulatorServer, enabled: bool) -> None:
    response = httpx.post(f"{server.url}/_emulator/lenient", json={"enabled": enabled})
    assert response.status_code == 200 and response.json() == {"lenient": enabled}


@pytest.fixture
def lenient(server: EmulatorServer, emulator: Emulator) -> Iterator[None]:
    """Lenient mode for this test, switched through the control API."""
    _control(server, True)
    try:
        yield
    finally:
        _control(server, False)


Call = Callable[[openai.OpenAI], object]

# (name, call, the error strict mode answers with)
CALLS: list[tuple[str, Call, type[openai.APIStatusError]]] = [
    (
        "jobs.create",
        lambda c: c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=FILE_ID),
        openai.BadRequestError,
    ),
    (
        "jobs.create_with_all_params",
        lambda c: c.fine_tuning.jobs.create(
            model="gpt-4o-mini",
            training_file=FILE_ID,
            hyperparameters={"batch_size": "auto", "learning_rate_multiplier": "auto", "n_epochs": "auto"},
            integrations=[
                {
                    "type": "wandb",
                    "wandb": {
                        "project": "my-wandb-project",
                        "entity": "entity",
                        "name": "name",
                        "tags": ["custom-tag"],
                    },
                }
            ],
            metadata={"foo": "string"},
            method=cast(Any, ALL_METHOD_PARAMS),
            seed=42,
            suffix="x",
            validation_file=FILE_ID,
        ),
        openai.BadRequestError,
    ),
    ("jobs.retrieve", lambda c: c.fine_tuning.jobs.retrieve(JOB_ID), openai.NotFoundError),
    (
        "jobs.list_with_all_params",
        lambda c: c.fine_tuning.jobs.list(after="string", limit=0, metadata={"foo": "string"}),
        openai.BadRequestError,
    ),
    ("jobs.cancel", lambda c: c.fine_tuning.jobs.cancel(JOB_ID), openai.NotFoundError),
    # raw: the SDK's status Literal (and the spec's enum) lack `paused`, which pause answers
    (
        "jobs.pause",
        lambda c: c.fine_tuning.jobs.with_raw_response.pause(JOB_ID).http_response.json(),
        openai.NotFoundError,
    ),
    ("jobs.resume", lambda c: c.fine_tuning.jobs.resume(JOB_ID), openai.NotFoundError),
    ("jobs.list_events", lambda c: c.fine_tuning.jobs.list_events(JOB_ID), openai.NotFoundError),
    (
        "jobs.list_events_with_all_params",
        lambda c: c.fine_tuning.jobs.list_events(JOB_ID, after="string", limit=0),
        openai.BadRequestError,
    ),
    ("jobs.checkpoints.list", lambda c: c.fine_tuning.jobs.checkpoints.list(JOB_ID), openai.NotFoundError),
    (
        "jobs.checkpoints.list_with_all_params",
        lambda c: c.fine_tuning.jobs.checkpoints.list(JOB_ID, after="string", limit=0),
        openai.BadRequestError,
    ),
    ("files.retrieve", lambda c: c.files.retrieve(FILE_ID), openai.NotFoundError),
    (
        "files.list_with_all_params",
        lambda c: c.files.list(after="after", limit=0, order="asc", purpose="purpose"),
        openai.BadRequestError,
    ),
    (
        "models.retrieve",
        lambda c: c.models.retrieve("ft:gpt-4o-mini:acemeco:suffix:abc123"),
        openai.NotFoundError,
    ),
    (
        "models.delete",
        lambda c: c.models.delete("ft:gpt-4o-mini:acemeco:suffix:abc123"),
        openai.NotFoundError,
    ),
    ("files.content", lambda c: c.files.content(FILE_ID).read(), openai.NotFoundError),
    ("files.delete", lambda c: c.files.delete(FILE_ID), openai.NotFoundError),
    (
        "permissions.create",
        lambda c: c.fine_tuning.checkpoints.permissions.create(MODEL, project_ids=["string"]),
        openai.AuthenticationError,
    ),
    (
        "permissions.list_with_all_params",
        lambda c: c.fine_tuning.checkpoints.permissions.list(
            JOB_ID, after="after", limit=0, order="ascending", project_id="project_id"
        ),
        openai.AuthenticationError,
    ),
    (
        "permissions.delete",
        lambda c: c.fine_tuning.checkpoints.permissions.delete(
            PERMISSION_ID, fine_tuned_model_checkpoint=MODEL
        ),
        openai.AuthenticationError,
    ),
    ("chat.completions.retrieve", lambda c: c.chat.completions.retrieve(COMPLETION_ID), openai.NotFoundError),
    (
        "chat.completions.update",
        lambda c: c.chat.completions.update(COMPLETION_ID, metadata={"foo": "string"}),
        openai.NotFoundError,
    ),
    (
        "chat.completions.list_with_all_params",
        lambda c: c.chat.completions.list(
            after="after", limit=0, metadata={"foo": "string"}, model="model", order="asc"
        ),
        openai.BadRequestError,
    ),
    ("chat.completions.delete", lambda c: c.chat.completions.delete(COMPLETION_ID), openai.NotFoundError),
    (
        "chat.completions.messages.list_with_all_params",
        lambda c: c.chat.completions.messages.list(COMPLETION_ID, after="after", limit=0, order="asc"),
        openai.BadRequestError,
    ),
    (
        "chat.completions.create(ft model)",
        lambda c: c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "string"}]),
        openai.NotFoundError,
    ),
    (
        "graders.run_with_all_params",
        lambda c: c.fine_tuning.alpha.graders.run(
            grader=cast(Any, GRADER), model_sample="model_sample", item={}
        ),
        openai.APIStatusError,  # not an id lookup: works the same in both modes (checked below)
    ),
]
IDS = [name for name, _, _ in CALLS]


@pytest.mark.parametrize(("name", "call", "strict_error"), CALLS, ids=IDS)
def test_generated_call_passes_in_lenient_mode(
    client: openai.OpenAI, lenient: None, name: str, call: Call, strict_error: type[Exception]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert call(client) is not None


@pytest.mark.parametrize(("name", "call", "strict_error"), CALLS, ids=IDS)
def test_generated_call_is_refused_in_strict_mode(
    client: openai.OpenAI, name: str, call: Call, strict_error: type[openai.APIStatusError]
) -> None:
    if name.startswith("graders."):
        assert call(client) is not None
        return
    with pytest.raises(strict_error) as caught:
        call(client)
    assert type(caught.value) is strict_error
    assert caught.value.type == "invalid_request_error"


def test_materialized_job_is_a_succeeded_job_with_events_checkpoints_and_model(
    client: openai.OpenAI, lenient: None
) -> None:
    job = client.fine_tuning.jobs.retrieve(JOB_ID)
    assert (job.id, job.status, job.model) == (JOB_ID, "succeeded", "gpt-4o-mini-2024-07-18")
    assert job.finished_at is not None and job.created_at < job.finished_at
    assert job.fine_tuned_model is not None and job.result_files
    events = list(client.fine_tuning.jobs.list_events(JOB_ID))
    assert (
        any(e.type == "metrics" for e in events) and events[0].message == "The job has successfully completed"
    )
    assert len(list(client.fine_tuning.jobs.checkpoints.list(JOB_ID))) >= 1
    assert [j.id for j in client.fine_tuning.jobs.list()] == [JOB_ID]
    training = client.files.retrieve(job.training_file)
    assert training.purpose == "fine-tune" and training.status == "processed"
    reply = client.chat.completions.create(
        model=job.fine_tuned_model, messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.model == job.fine_tuned_model


def test_materialized_objects_then_behave_like_any_other(client: openai.OpenAI, lenient: None) -> None:
    running = client.fine_tuning.jobs.cancel(JOB_ID)  # first reference is a cancel: a running job, cancelled
    assert running.status in ("cancelled", "running")
    assert client.fine_tuning.jobs.retrieve(JOB_ID).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.cancel(JOB_ID)
    content = client.files.content(FILE_ID).read().decode()
    assert len(content.splitlines()) == 12 and '"role": "assistant"' in content
    assert client.files.delete(FILE_ID).deleted
    stored = client.chat.completions.retrieve(COMPLETION_ID)
    assert stored.id == COMPLETION_ID and stored.choices[0].message.content
    assert [c.id for c in client.chat.completions.list()] == [COMPLETION_ID]
    assert client.chat.completions.delete(COMPLETION_ID).deleted
    gone = client.fine_tuning.checkpoints.permissions.delete(PERMISSION_ID, fine_tuned_model_checkpoint=MODEL)
    assert gone.deleted and list(client.fine_tuning.checkpoints.permissions.list(MODEL)) == []


def test_ids_of_the_wrong_prefix_stay_unknown(client: openai.OpenAI, lenient: None) -> None:
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("abc123")
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("job-123")
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.retrieve("completion_id")


def test_materialization_is_deterministic(client: openai.OpenAI, emulator: Emulator, lenient: None) -> None:
    def snapshot() -> list[Any]:
        job = client.fine_tuning.jobs.retrieve(JOB_ID).model_dump()
        events = [e.model_dump() for e in client.fine_tuning.jobs.list_events(JOB_ID)]
        return [
            job,
            events,
            client.files.content(FILE_ID).read(),
            client.chat.completions.retrieve(COMPLETION_ID).model_dump(),
        ]

    first = snapshot()
    emulator.reset()
    assert snapshot() == first


def test_pytest_marker_and_settings_switch_lenient_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.emulator(lenient=True)
        def test_lenient(openai_client):
            assert openai_client.fine_tuning.jobs.retrieve("ftjob-abc123").status == "succeeded"

        def test_strict(openai_client):
            import openai
            with pytest.raises(openai.NotFoundError):
                openai_client.fine_tuning.jobs.retrieve("ftjob-abc123")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "--emulator-mode=inprocess").assert_outcomes(passed=2)


@pytest.mark.anyio
async def test_async_generated_calls(async_client: openai.AsyncOpenAI, lenient: None) -> None:
    job = await async_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=FILE_ID)
    assert job.training_file == FILE_ID
    assert (await async_client.fine_tuning.jobs.retrieve(JOB_ID)).status == "succeeded"
    assert [e.id async for e in async_client.fine_tuning.jobs.list_events(JOB_ID, limit=0)]
    stored = await async_client.chat.completions.update(COMPLETION_ID, metadata={"foo": "string"})
    assert stored.metadata == {"foo": "string"}
    created = await async_client.fine_tuning.checkpoints.permissions.create(MODEL, project_ids=["string"])
    assert [p.project_id for p in created.data] == ["string"]


def test_materialized_job_follows_an_active_scenario(
    client: openai.OpenAI, emulator: Emulator, lenient: None
) -> None:
    from emulator.scenarios import find_scenario

    emulator.scenarios.load(find_scenario("job_fails_midway"))
    job = client.fine_tuning.jobs.retrieve(JOB_ID)
    assert job.status == "failed" and job.error is not None and job.error.code
