"""File-sized work never runs on the event loop: a job on a big training file answers at once with
`validating_files`, and other requests (of any tenant) are not slowed while it is validated."""

from __future__ import annotations

import statistics

import httpx

from emulator import EmulatorServer
from emulator.domain.state import Emulator

from ..conftest import API_KEY
from .helpers import MB, median_latency, timed, training_jsonl, upload

# How much slower a tiny request may get while a 50 MB file is validated on a worker thread (it shares
# the interpreter with the event loop). Synchronous validation made it >1000x slower (25-35 s).
MAX_SLOWDOWN = 20.0


def _analysis_running(emulator: Emulator, job_id: str) -> bool:
    job = emulator.tenant(API_KEY).jobs.jobs.get(job_id)
    return job is not None and job.pending is not None and not job.pending.future.done()


def test_big_file_job_answers_at_once_and_does_not_delay_models(
    server: EmulatorServer, emulator: Emulator, http: httpx.Client
) -> None:
    big = upload(http, training_jsonl(50 * MB))
    small = upload(http, training_jsonl(2000), "small.jsonl")
    same = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"})
    other = httpx.Client(base_url=server.url, headers={"Authorization": "Bearer sk-another-tenant-0000"})
    with same, other:
        idle_models = median_latency(other, "/v1/models", 15)

        def create(file_id: str) -> httpx.Response:
            r = same.post(
                "/v1/fine_tuning/jobs", json={"model": "gpt-4o-mini-2024-07-18", "training_file": file_id}
            )
            assert r.status_code == 200, r.text
            return r

        small_create = statistics.median(timed(lambda: create(small)) for _ in range(3))
        created: list[httpx.Response] = []
        big_create = timed(lambda: created.append(create(big)))
        job = created[0].json()
        assert job["status"] == "validating_files"
        assert job["hyperparameters"] == {
            "batch_size": "auto",
            "learning_rate_multiplier": "auto",
            "n_epochs": "auto",
        }
        assert _analysis_running(emulator, job["id"]), "the analysis should still be running off the loop"

        busy_other = median_latency(other, "/v1/models", 15)
        busy_same = median_latency(same, "/v1/models", 15)
        retrieve = same.get(f"/v1/fine_tuning/jobs/{job['id']}")
        assert retrieve.status_code == 200 and retrieve.json()["status"] == "validating_files"
        still_running = _analysis_running(emulator, job["id"])
    print(  # shown with -s: the ratios behind the asserts
        f"GET /v1/models validating 50 MB / idle: other tenant {busy_other / idle_models:.1f}x, "
        f"same tenant {busy_same / idle_models:.1f}x; create 50 MB / small {big_create / small_create:.1f}x"
    )
    assert still_running, "the measurements must overlap the validation"
    assert busy_other <= idle_models * MAX_SLOWDOWN
    assert busy_same <= idle_models * MAX_SLOWDOWN
    assert big_create <= small_create * MAX_SLOWDOWN
