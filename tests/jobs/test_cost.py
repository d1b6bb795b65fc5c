"""Reads cost O(limit): a 25,000-step job answers a page with the same work as a 10-step one."""

from __future__ import annotations

import httpx
import openai

from emulator.domain.state import Emulator

from .conftest import FOREVER, chat_file, create, job_of


def _work(emulator: Emulator, job_id: str) -> tuple[int, int]:
    job = job_of(emulator, job_id)
    return job.work.events_built, job.curve.computed


def test_a_25000_step_job_pages_as_cheaply_as_a_10_step_one(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    big = create(client, chat_file(2500), hyperparameters={"n_epochs": 10, "batch_size": 1})
    small = create(client, chat_file(10), hyperparameters={"n_epochs": 5, "batch_size": 5})
    emulator.clock.advance(FOREVER * 10)
    for job in (big, small):
        http.get(f"/v1/fine_tuning/jobs/{job.id}")  # settle (the results file is written once, on success)
    assert job_of(emulator, big.id).plan.total_steps == 25_000
    assert job_of(emulator, small.id).plan.total_steps == 10

    costs = []
    for job in (big, small):
        before = _work(emulator, job.id)
        page = http.get(f"/v1/fine_tuning/jobs/{job.id}/events", params={"limit": 5}).json()
        cursor = page["data"][-1]["id"]
        http.get(f"/v1/fine_tuning/jobs/{job.id}/events", params={"limit": 5, "after": cursor})
        http.get(f"/v1/fine_tuning/jobs/{job.id}")
        after = _work(emulator, job.id)
        costs.append((after[0] - before[0], after[1] - before[1]))
    assert costs[0] == costs[1] == (10, 6)  # 10 events built; 6 of them metrics (4 completion notes)


def test_a_deep_cursor_is_as_cheap_as_the_first_page(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    job = create(client, chat_file(2500), hyperparameters={"n_epochs": 10, "batch_size": 1})
    emulator.clock.advance(FOREVER * 10)
    record = job_of(emulator, job.id)
    deep = record.ids.encode(12)  # an event near the start of a 25,000-step history
    before = _work(emulator, job.id)
    body = http.get(f"/v1/fine_tuning/jobs/{job.id}/events", params={"after": deep, "limit": 3}).json()
    assert [e["data"]["step"] for e in body["data"]] == [8, 7, 6]  # events 0-3 are the opening messages
    assert _work(emulator, job.id)[0] - before[0] == 3


def test_retrieve_and_list_build_no_events(client: openai.OpenAI, emulator: Emulator) -> None:
    job = create(client, chat_file(2500), hyperparameters={"n_epochs": 10, "batch_size": 1})
    emulator.clock.advance(3600)
    before = _work(emulator, job.id)
    client.fine_tuning.jobs.retrieve(job.id)
    client.fine_tuning.jobs.list()
    assert _work(emulator, job.id) == before
