"""Crash and restart through a real `emulator serve --data-dir` process: nothing acknowledged is lost, ids
continue, and the state is byte for byte what an emulator that never stopped would have."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import openai

from emulator import Settings
from emulator.testing import EmulatorHandle

from .serving import dump, serve

KEY = "sk-store-restart-0000000000000000000000"
OTHER = "sk-store-restart-1111111111111111111111"
MODEL = "gpt-4o-mini-2024-07-18"
LINE = json.dumps(
    {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
)


def _training(n: int) -> bytes:
    return ((LINE + "\n") * n).encode()


def _client(url: str, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=20)


def test_sigkill_mid_workload_loses_no_acknowledged_object(tmp_path: Path) -> None:
    data = tmp_path / "data"
    served = serve(data)
    files: dict[str, tuple[dict[str, Any], bytes]] = {}
    jobs: dict[str, dict[str, Any]] = {}
    failures: list[BaseException] = []

    def workload() -> None:
        with _client(served.url) as client:
            upload_until_the_server_dies(client)

    def upload_until_the_server_dies(client: openai.OpenAI) -> None:
        for i in range(10_000):
            # every fourth upload is large enough to go to a blob file rather than the journal row
            content = _training(3000 + i) if i % 4 == 0 else _training(10 + i)
            try:
                made = client.files.create(file=(f"train-{i}.jsonl", content), purpose="fine-tune")
                files[made.id] = (made.model_dump(), content)
                if i % 4 == 1:
                    job = client.fine_tuning.jobs.create(model=MODEL, training_file=made.id, seed=i)
                    jobs[job.id] = job.model_dump()
            except (openai.APIConnectionError, openai.APITimeoutError):
                return  # the server died under us
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                failures.append(exc)
                return

    worker = threading.Thread(target=workload)
    worker.start()
    deadline = time.monotonic() + 60
    while len(files) < 12 and time.monotonic() < deadline and worker.is_alive():
        time.sleep(0.05)
    served.kill()  # mid-workload: requests are in flight
    worker.join(30)
    assert not failures, failures
    assert len(files) >= 12 and jobs

    restarted = serve(data)
    try:
        client = _client(restarted.url)  # closed below
        for file_id, (body, content) in files.items():
            assert client.files.retrieve(file_id).model_dump() == body
            assert client.files.content(file_id).content == content
        for job_id, body in jobs.items():
            now = client.fine_tuning.jobs.retrieve(job_id).model_dump()
            for field in ("id", "created_at", "model", "training_file", "seed", "organization_id", "method"):
                assert now[field] == body[field], field
        fresh = client.files.create(file=("after.jsonl", _training(10)), purpose="fine-tune")
        assert fresh.id not in files  # the id sequence continued, nothing is handed out twice
        job = client.fine_tuning.jobs.create(model=MODEL, training_file=fresh.id)
        assert job.id not in jobs
        client.close()
    finally:
        restarted.stop()


def _first_half(url: str, http: httpx.Client) -> None:
    for key in (KEY, OTHER):
        with _client(url, key) as client:
            _first_half_of(client, http)
    http.post("/_emulator/clock/advance", json={"duration": "20m"}).raise_for_status()


def _first_half_of(client: openai.OpenAI, http: httpx.Client) -> None:
    small = client.files.create(file=("small.jsonl", _training(12)), purpose="fine-tune")
    large = client.files.create(file=("large.jsonl", _training(2800)), purpose="fine-tune")
    client.fine_tuning.jobs.create(model=MODEL, training_file=small.id, suffix="a")
    job = client.fine_tuning.jobs.create(model=MODEL, training_file=large.id, suffix="b")
    http.post("/_emulator/clock/advance", json={"duration": "7m"}).raise_for_status()
    client.fine_tuning.jobs.retrieve(job.id)


def _second_half(url: str, http: httpx.Client) -> str:
    with _client(url) as client:
        return _second_half_of(client, http)


def _second_half_of(client: openai.OpenAI, http: httpx.Client) -> str:
    extra = client.files.create(file=("extra.jsonl", _training(15)), purpose="fine-tune")
    client.fine_tuning.jobs.create(model=MODEL, training_file=extra.id)
    doomed = client.fine_tuning.jobs.create(model=MODEL, training_file=extra.id, suffix="c")
    client.fine_tuning.jobs.cancel(doomed.id)
    http.post("/_emulator/clock/advance", json={"duration": "3h"}).raise_for_status()
    response = client.models.with_raw_response.list()
    return str(response.headers["x-request-id"])


def test_a_restart_in_the_middle_changes_nothing(tmp_path: Path) -> None:
    """The same requests give the same bytes whether or not the server was killed halfway."""
    data = tmp_path / "data"
    served = serve(data)
    with httpx.Client(base_url=served.url, timeout=30) as http:
        _first_half(served.url, http)
    served.kill()
    restarted = serve(data)
    try:
        with httpx.Client(base_url=restarted.url, timeout=30) as http:
            request_id = _second_half(restarted.url, http)
        restarted_world = dump(restarted.url, [KEY, OTHER])
    finally:
        restarted.stop()

    reference = EmulatorHandle(
        Settings(seed=7, clock="virtual", speed=10.0, host="127.0.0.1", port=0), mode="live"
    ).start()
    try:
        with httpx.Client(base_url=reference.url, timeout=30) as http:
            _first_half(reference.url, http)
            assert _second_half(reference.url, http) == request_id
        assert dump(reference.url, [KEY, OTHER]) == restarted_world
    finally:
        reference.close()


def test_a_real_clock_carries_on_from_where_it_stopped(tmp_path: Path) -> None:
    data = tmp_path / "data"
    served = serve(data, "--clock", "real", "--speed", "1000")
    time.sleep(0.5)  # at 1000x, the emulator is now minutes ahead of the wall clock
    with _client(served.url) as client:
        last = client.files.create(file=("t.jsonl", _training(10)), purpose="fine-tune")
    served.kill()
    restarted = serve(data, "--clock", "real", "--speed", "1000")
    try:
        now = httpx.get(f"{restarted.url}/_emulator/clock").json()["now"]
        assert now >= last.created_at  # a fresh real clock would be back at the wall time
        assert last.created_at > time.time() + 60
        with _client(restarted.url) as client:
            assert client.files.retrieve(last.id).created_at == last.created_at
    finally:
        restarted.stop()
