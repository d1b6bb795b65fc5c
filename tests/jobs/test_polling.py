"""The auto clock through HTTP: repeated reads of an unfinished job move it to the job's next status; a
paused job stays put; a frozen virtual clock leaves a hint instead."""

from __future__ import annotations

import httpx
import openai

from emulator.domain.jobs.polling import FROZEN_HINT_READS, IDLE_READS
from emulator.domain.state import Emulator

from .conftest import advance_to, create, job_of


def _auto(http: httpx.Client) -> None:
    assert http.post("/_emulator/clock", json={"mode": "auto"}).json()["mode"] == "auto"


def test_the_third_read_at_one_instant_moves_the_clock_to_the_next_status(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    _auto(http)
    job = create(client)
    start = emulator.now()
    queued_at = job_of(emulator, job.id).timeline.when("queued")
    statuses = [client.fine_tuning.jobs.retrieve(job.id).status for _ in range(IDLE_READS)]
    assert statuses == ["validating_files"] * (IDLE_READS - 1) + ["queued"]
    assert emulator.now() == queued_at > start  # exactly the job's next change, not further


def test_the_auto_clock_leaves_a_paused_job_alone(
    loose_client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    _auto(http)
    job = create(loose_client)
    advance_to(emulator, job.id, "running")
    emulator.clock.advance(5)
    loose_client.fine_tuning.jobs.pause(job.id)
    now = emulator.now()
    statuses = {loose_client.fine_tuning.jobs.retrieve(job.id).status for _ in range(2 * IDLE_READS)}
    assert statuses == {"paused"} and emulator.now() == now


def test_a_frozen_clock_stays_frozen_and_leaves_a_hint(client: openai.OpenAI, emulator: Emulator) -> None:
    job = create(client)
    now = emulator.now()
    for _ in range(FROZEN_HINT_READS):
        assert client.fine_tuning.jobs.retrieve(job.id).status == "validating_files"
    assert emulator.now() == now
    assert emulator.polling_hint is not None and job.id in emulator.polling_hint
    assert "run_job" in emulator.polling_hint and "clock='auto'" in emulator.polling_hint
    emulator.reset()
    assert emulator.polling_hint is None
