"""Progression policies (time, manual, step-per-read) and the control endpoints that drive jobs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest
from starlette.testclient import TestClient

from emulator import Settings, create_app
from emulator.domain.state import Emulator

from .conftest import FOREVER, all_events, chat_file, create, job_of

KEY = "sk-progression-test-key"
HEADERS = {"Authorization": f"Bearer {KEY}"}


def _job(http: TestClient) -> str:
    file_id = http.post(
        "/v1/files",
        headers=HEADERS,
        data={"purpose": "fine-tune"},
        files={"file": ("t.jsonl", chat_file(12))},
    ).json()["id"]
    body = {"model": "gpt-4o-mini", "training_file": file_id}
    return str(http.post("/v1/fine_tuning/jobs", headers=HEADERS, json=body).json()["id"])


@pytest.fixture
def fast_real_clock() -> Iterator[TestClient]:
    """A real clock running a million times faster than the wall: every request is ~15 emulated minutes."""
    with TestClient(create_app(Settings(clock="real", speed=1_000_000))) as http:
        yield http


def test_time_policy_follows_a_real_clock(fast_real_clock: TestClient) -> None:
    job_id = _job(fast_real_clock)
    for _ in range(200):
        if (
            fast_real_clock.get(f"/v1/fine_tuning/jobs/{job_id}", headers=HEADERS).json()["status"]
            == "succeeded"
        ):
            return
    pytest.fail("the job did not finish on a fast real clock")


def test_manual_policy_stands_still_on_a_real_clock_until_advanced(fast_real_clock: TestClient) -> None:
    http = fast_real_clock
    response = http.post("/_emulator/jobs/progression", headers=HEADERS, json={"policy": "manual"})
    assert response.json()["default"] == "manual"
    job_id = _job(http)
    for _ in range(20):
        assert (
            http.get(f"/v1/fine_tuning/jobs/{job_id}", headers=HEADERS).json()["status"] == "validating_files"
        )
    http.post("/_emulator/clock/advance", json={"duration": "1h"})
    assert http.get(f"/v1/fine_tuning/jobs/{job_id}", headers=HEADERS).json()["status"] == "succeeded"
    events = http.get(f"/v1/fine_tuning/jobs/{job_id}/events", headers=HEADERS, params={"limit": 200}).json()
    stamps = [e["created_at"] for e in events["data"]]
    assert stamps == sorted(stamps, reverse=True)


def test_manual_policy_from_settings() -> None:
    with TestClient(create_app(Settings(clock="real", speed=1_000_000, job_progression="manual"))) as http:
        job_id = _job(http)
        for _ in range(10):
            assert (
                http.get(f"/v1/fine_tuning/jobs/{job_id}", headers=HEADERS).json()["status"]
                == "validating_files"
            )
        http.post(f"/_emulator/jobs/{job_id}/run", json={"until": "running"})
        assert http.get(f"/v1/fine_tuning/jobs/{job_id}", headers=HEADERS).json()["status"] == "running"


def test_unknown_policy_setting_is_rejected() -> None:
    with pytest.raises(ValueError, match="job_progression"):
        Settings(job_progression="sometimes")


def test_step_per_read_lets_a_polling_loop_finish_at_once(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    http.post("/_emulator/jobs/progression", json={"policy": "step-per-read"})
    job = create(client)
    seen = [job.status]
    while job.status not in ("succeeded", "failed", "cancelled"):
        job = client.fine_tuning.jobs.retrieve(job.id)
        seen.append(job.status)
    assert seen == ["validating_files", "queued", "running", "succeeded"]
    assert job.fine_tuned_model and job.finished_at == int(emulator.now())
    events = all_events(client, job.id)
    assert len([e for e in events if e.type == "metrics"]) == 96
    assert job.fine_tuned_model in {m.id for m in client.models.list()}


def test_policy_for_one_job(client: openai.OpenAI, http: httpx.Client) -> None:
    fast, normal = create(client), create(client)
    response = http.post("/_emulator/jobs/progression", json={"policy": "step-per-read", "job_id": fast.id})
    assert response.json()["job_id"] == fast.id and response.json()["default"] == "time"
    assert client.fine_tuning.jobs.retrieve(fast.id).status == "queued"
    assert client.fine_tuning.jobs.retrieve(normal.id).status == "validating_files"


def test_run_one_job_until_a_status(client: openai.OpenAI, http: httpx.Client, emulator: Emulator) -> None:
    job, other = create(client), create(client)
    start = emulator.now()
    running = http.post(f"/_emulator/jobs/{job.id}/run", json={"until": "running"}).json()
    assert running["status"] == "running" and emulator.now() > start  # the clock moved with the job
    assert client.fine_tuning.jobs.retrieve(job.id).status == "running"  # it stays there at that time
    done = http.post(f"/_emulator/jobs/{job.id}/run", json={}).json()
    assert done["status"] == "succeeded" and done["fine_tuned_model"] and done["result_files"]
    assert done["created_at"] < done["finished_at"] == int(emulator.now())
    events = all_events(client, job.id)
    assert max(e.created_at for e in events) <= done["finished_at"]
    assert {e.created_at for e in events} != {done["created_at"]}  # a timeline, not one instant
    # the other job lived through the same time, as its own timeline says
    assert client.fine_tuning.jobs.retrieve(other.id).status != "validating_files"
    assert done["fine_tuned_model"] in {m.id for m in client.models.list()}


def test_run_until_an_unreachable_status_is_409(client: openai.OpenAI, http: httpx.Client) -> None:
    job = create(client, chat_file(3))
    response = http.post(f"/_emulator/jobs/{job.id}/run", json={"until": "succeeded"})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == f"Job {job.id} has failed; it cannot reach 'succeeded'."
    bad = http.post(f"/_emulator/jobs/{job.id}/run", json={"until": "sideways"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "until"
    missing = http.post("/_emulator/jobs/ftjob-nope/run", json={})
    assert missing.status_code == 404


def test_run_all_jobs(client: openai.OpenAI, other_client: openai.OpenAI, server: object) -> None:
    ids = {create(client).id, create(client).id, create(other_client).id}
    with httpx.Client(base_url=server.url) as raw:  # type: ignore[attr-defined]  # no key: every tenant
        body = raw.post("/_emulator/jobs/run", json={}).json()
    assert {r["id"] for r in body["data"]} == ids
    assert {(r["status"], r["completed"]) for r in body["data"]} == {("succeeded", True)}


def test_run_all_jobs_of_one_tenant(
    client: openai.OpenAI, other_client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    mine, theirs = create(client), create(other_client)
    body = http.post("/_emulator/jobs/run", json={}, headers={"Authorization": "Bearer x"}).json()
    assert body["data"] == []
    body = http.post("/_emulator/jobs/run", json={}).json()  # the `http` fixture's key is `client`'s tenant
    assert [r["id"] for r in body["data"]] == [mine.id]
    finished = client.fine_tuning.jobs.retrieve(mine.id).finished_at
    assert finished is not None and finished == int(emulator.now())
    # only the clock is shared: the other tenant's job was not run, it lived through the same time
    theirs_now = other_client.fine_tuning.jobs.retrieve(theirs.id)
    assert theirs_now.created_at == mine.created_at and theirs_now.id not in {r["id"] for r in body["data"]}


def test_progression_needs_a_scope(server: object, emulator: Emulator) -> None:
    with httpx.Client(base_url=server.url) as raw:  # type: ignore[attr-defined]
        response = raw.post("/_emulator/jobs/progression", json={"policy": "manual"})
        assert response.status_code == 400
        response = raw.post("/_emulator/jobs/progression", json={"policy": "fast", "api_key": "k"})
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_value"


def test_manual_on_the_virtual_clock_moves_with_advances(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    http.post("/_emulator/jobs/progression", json={"policy": "manual"})
    job = create(client)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "validating_files"
    emulator.clock.advance(FOREVER)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "succeeded"
    assert job_of(emulator, job.id).finalized


def test_control_reads_do_not_need_the_sdk(http: httpx.Client, client: openai.OpenAI) -> None:
    job = create(client)
    body = http.post(f"/_emulator/jobs/{job.id}/run", content=json.dumps({"until": "queued"})).json()
    assert body["hyperparameters"]["n_epochs"] == 8
