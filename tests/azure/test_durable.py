"""Durable state for an Azure resource: `emulator serve --data-dir` journals the raw `/openai/...` requests
and replays them through the Azure dialect on restart, so a killed server comes back with the same job."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai

from tests.store.serving import serve

from .conftest import BASE, DATED, TRAINING

KEY = "sk-azure-durable-000000000000000000000"


def _client(url: str, api_version: str = DATED) -> openai.AzureOpenAI:
    if api_version == "v1":
        return openai.AzureOpenAI(base_url=f"{url}/openai/v1/", api_key=KEY, api_version=api_version,
                                  max_retries=0, timeout=20)
    return openai.AzureOpenAI(azure_endpoint=url, api_key=KEY, api_version=api_version, max_retries=0,
                              timeout=20)


def test_a_restart_keeps_an_azure_job_byte_for_byte(tmp_path: Path) -> None:
    data = tmp_path / "data"
    served = serve(data)
    try:
        with _client(served.url) as dated, _client(served.url, "v1") as v1:
            training = dated.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
            job = dated.fine_tuning.jobs.create(model=BASE, training_file=training.id, suffix="kept")
            httpx.post(f"{served.url}/_emulator/clock/advance", json={"seconds": 120}).raise_for_status()
            before = v1.fine_tuning.jobs.retrieve(job.id).model_dump()
            events = [e.id for e in v1.fine_tuning.jobs.list_events(job.id)]
    finally:
        served.kill()
    restarted = serve(data)
    try:
        with _client(restarted.url) as dated, _client(restarted.url, "v1") as v1:
            assert v1.fine_tuning.jobs.retrieve(job.id).model_dump() == before
            assert [e.id for e in v1.fine_tuning.jobs.list_events(job.id)] == events
            assert dated.files.retrieve(training.id).id == training.id
            assert dated.files.content(training.id).content == TRAINING
    finally:
        restarted.stop()
