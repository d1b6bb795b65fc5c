"""A planned job keeps a small recipe; its resolved values, curve and plan are held only for the jobs
derived last, and a job whose Training was dropped answers exactly as before (an edit is kept for good)."""

from __future__ import annotations

from typing import Any

import httpx
import openai

from emulator.domain.state import Emulator

from .conftest import advance_to, create, job_of


def _read(http: httpx.Client, job_id: str) -> tuple[Any, Any]:
    job = http.get(f"/v1/fine_tuning/jobs/{job_id}").json()
    events = http.get(f"/v1/fine_tuning/jobs/{job_id}/events", params={"limit": 100}).json()
    return job, events


def test_dropped_training_is_derived_again_unchanged(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    first = create(client, hyperparameters={"n_epochs": 2})
    advance_to(emulator, first.id, "running")
    job = job_of(emulator, first.id)
    job.work.kept.size = 1
    _read(http, first.id)
    assert job.trained is not None
    later = create(client)
    advance_to(emulator, later.id, "running")
    before = _read(http, first.id)  # the clock moved on
    _read(http, later.id)  # derived last: the first job's Training is dropped
    assert job.trained is None and job.recipe is not None
    assert _read(http, first.id) == before


def test_edited_timeline_survives_the_drop(
    loose_client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    first = create(loose_client)
    advance_to(emulator, first.id, "running")
    job = job_of(emulator, first.id)
    job.work.kept.size = 1
    assert http.post(f"/v1/fine_tuning/jobs/{first.id}/pause").status_code == 200
    later = create(loose_client)
    advance_to(emulator, later.id, "running")
    paused = _read(http, first.id)
    _read(http, later.id)
    assert job.trained is not None and job.trained.edited is not None
    assert _read(http, first.id) == paused
