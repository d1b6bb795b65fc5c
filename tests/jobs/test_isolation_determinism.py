"""Tenants never see each other's jobs; the same seed and requests give the same bodies; aliases resolve."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from starlette.testclient import TestClient

from emulator import Settings, create_app
from emulator.domain.jobs.catalog import FINE_TUNING_ALIASES

from .conftest import FOREVER, chat_file, create, example, jsonl, upload


def test_other_tenant_cannot_see_or_touch_a_job(client: openai.OpenAI, other_client: openai.OpenAI) -> None:
    job = create(client)
    for verb in ("retrieve", "cancel", "list_events"):
        with pytest.raises(openai.NotFoundError):
            getattr(other_client.fine_tuning.jobs, verb)(job.id)
    assert other_client.fine_tuning.jobs.list().data == []
    assert [j.id for j in client.fine_tuning.jobs.list()] == [job.id]


def test_other_tenant_cannot_train_on_my_file(client: openai.OpenAI, other_client: openai.OpenAI) -> None:
    file_id = upload(client, chat_file(12))
    with pytest.raises(openai.BadRequestError) as info:
        other_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    assert info.value.body["message"] == f"invalid training_file: {file_id}"  # type: ignore[index]


def test_other_tenant_does_not_get_my_model(
    client: openai.OpenAI, other_client: openai.OpenAI, emulator: Any
) -> None:
    job = create(client)
    emulator.clock.advance(FOREVER)
    name = client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    assert name not in {m.id for m in other_client.models.list()}
    with pytest.raises(openai.BadRequestError) as info:
        other_client.fine_tuning.jobs.create(
            model=name or "", training_file=upload(other_client, chat_file(12))
        )
    assert info.value.code == "model_not_available"


@pytest.mark.parametrize(("alias", "snapshot"), sorted(FINE_TUNING_ALIASES.items()))
def test_aliases_resolve_to_snapshots(client: openai.OpenAI, alias: str, snapshot: str) -> None:
    data = jsonl([example(i) for i in range(12)])
    method = (
        {
            "type": "reinforcement",
            "reinforcement": {
                "grader": {
                    "type": "string_check",
                    "name": "g",
                    "input": "{{sample.output_text}}",
                    "reference": "x",
                    "operation": "eq",
                }
            },
        }
        if alias == "o4-mini"
        else None
    )
    job = create(client, data, model=alias, **({"method": method} if method else {}))
    assert job.model == snapshot


def test_snapshots_are_accepted_as_is(client: openai.OpenAI) -> None:
    assert create(client, model="gpt-3.5-turbo-1106").model == "gpt-3.5-turbo-1106"


def _drive(seed: int) -> list[Any]:
    """The same script of requests against a fresh app; returns every response body."""
    bodies: list[Any] = []
    headers = {"Authorization": "Bearer sk-determinism"}
    with TestClient(create_app(Settings(seed=seed))) as http:

        def call(method: str, path: str, **kwargs: Any) -> Any:
            response = http.request(method, path, headers=headers, **kwargs)
            body = (
                response.json()
                if response.headers["content-type"].startswith("application/json")
                else response.content
            )
            bodies.append(body)
            return body

        train = call(
            "POST", "/v1/files", data={"purpose": "fine-tune"}, files={"file": ("t.jsonl", chat_file(14))}
        )
        valid = call(
            "POST", "/v1/files", data={"purpose": "fine-tune"}, files={"file": ("v.jsonl", chat_file(3))}
        )
        job = call(
            "POST",
            "/v1/fine_tuning/jobs",
            json={
                "model": "gpt-4o-mini",
                "training_file": train["id"],
                "validation_file": valid["id"],
                "suffix": "d",
            },
        )
        plain = call(
            "POST", "/v1/fine_tuning/jobs", json={"model": "gpt-3.5-turbo", "training_file": train["id"]}
        )
        for seconds in (10, 30, 60, 600, 86400):
            http.post("/_emulator/clock/advance", json={"seconds": seconds})
            call("GET", f"/v1/fine_tuning/jobs/{job['id']}")
            call("GET", f"/v1/fine_tuning/jobs/{job['id']}/events", params={"limit": 7})
        call("POST", f"/v1/fine_tuning/jobs/{plain['id']}/cancel")
        final = call("GET", f"/v1/fine_tuning/jobs/{job['id']}")
        call("GET", f"/v1/fine_tuning/jobs/{job['id']}/events", params={"limit": 1000})
        call("GET", f"/v1/fine_tuning/jobs/{job['id']}/checkpoints")
        call("GET", "/v1/fine_tuning/jobs")
        call("GET", "/v1/models")
        call("GET", f"/v1/files/{final['result_files'][0]}/content")
    return bodies


def test_same_seed_and_requests_give_identical_bodies() -> None:
    first, second = _drive(7), _drive(7)
    assert first == second
    assert first[-6]["status"] == "succeeded"


def test_another_seed_gives_other_ids_and_curves() -> None:
    first, other = _drive(7), _drive(8)
    assert first[2]["id"] != other[2]["id"]
    assert first[-6]["fine_tuned_model"] != other[-6]["fine_tuned_model"]
