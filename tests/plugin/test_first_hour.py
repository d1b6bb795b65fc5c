"""The plugin as a newcomer meets it: a plain polling loop ends, run_job keeps timestamps plausible, clients
built at import time are served, paused jobs read fine, async plugins work, a typo in the marker is one
line. Each runs as a user's test file under an inner pytest (pytester)."""

from __future__ import annotations

from typing import Any

import pytest

from emulator import Settings
from emulator.testing import EmulatorHandle
from tests.test_pytest_plugin import INI, TRAINING

pytest_plugins = ["pytester"]

CREATE = f"""
import time

def create(client):
    training = client.files.create(file=("train.jsonl", b'{TRAINING}'), purpose="fine-tune")
    return client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id)
"""


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    return pytester


@pytest.mark.parametrize("mode", ["live", "inprocess"])
def test_a_plain_polling_loop_ends_on_the_default_clock(inner: pytest.Pytester, mode: str) -> None:
    inner.makepyfile(
        CREATE
        + """
def test_poll_until_done(openai_client, openai_emulator):
    job = create(openai_client)
    seen = []
    while job.status not in ("succeeded", "failed", "cancelled"):
        time.sleep(0.001)
        job = openai_client.fine_tuning.jobs.retrieve(job.id)
        seen.append(job.status)
    assert job.status == "succeeded" and job.fine_tuned_model
    assert [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s] == [
        "validating_files", "queued", "running", "succeeded"]
    assert job.created_at < job.finished_at == int(openai_emulator.now())
    assert openai_emulator.state.clock.mode == "auto"

def test_a_single_reread_does_not_move_the_clock(openai_client, openai_emulator):
    job = create(openai_client)
    before = openai_emulator.now()
    assert openai_client.fine_tuning.jobs.retrieve(job.id).status == "validating_files"
    assert openai_client.fine_tuning.jobs.retrieve(job.id).status == "validating_files"
    assert openai_emulator.now() == before
"""
    )
    inner.runpytest(f"--emulator-mode={mode}").assert_outcomes(passed=2)


def test_polling_a_frozen_clock_says_how_to_move_it(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        CREATE
        + """
import pytest

@pytest.mark.emulator(clock="virtual")
def test_poll_a_frozen_clock(openai_client):
    job = create(openai_client)
    for _ in range(30):  # stands in for a loop stopped by a timeout
        job = openai_client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "succeeded"
"""
    )
    result = inner.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*openai_emulator: job ftjob-* was read 20 times while the emulator's virtual clock stood still"
            "*openai_emulator.advance(*run_job(job_id)*clock='auto'*",
        ]
    )


def test_run_job_moves_the_clock_along_the_timeline(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        CREATE
        + """
def test_run_job(openai_client, openai_emulator):
    job = create(openai_client)
    start = openai_emulator.now()
    running = openai_emulator.run_job(job.id, until="running")
    assert running.status == "running" and openai_emulator.now() > start
    done = openai_emulator.run_job(job.id)
    assert done.status == "succeeded"
    assert done.created_at < done.finished_at == int(openai_emulator.now())
    events = openai_client.fine_tuning.jobs.list_events(job.id, limit=100).data
    assert len({e.created_at for e in events}) > 2
"""
    )
    inner.runpytest().assert_outcomes(passed=1)


def test_legacy_httpx_clients_are_served_by_a_live_emulator(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
import httpx
import openai

def test_legacy_httpx(openai_emulator):
    with httpx.Client() as http:
        listed = http.get("https://api.openai.com/v1/models", headers={"Authorization": "Bearer x"})
        assert listed.status_code == 200 and listed.json()["object"] == "list"
        client = openai.OpenAI(api_key="x", base_url="https://api.openai.com/v1", http_client=http)
        assert client.models.retrieve("gpt-4o-mini").id == "gpt-4o-mini"
    openai_emulator.assert_called("GET", "/v1/models", times=1)
    openai_emulator.assert_called("GET", "/v1/models/gpt-4o-mini", times=1)
"""
    )
    inner.runpytest("--emulator-mode=live").assert_outcomes(passed=1)


@pytest.mark.parametrize("mode", ["live", "inprocess"])
def test_clients_built_at_import_time_are_served(inner: pytest.Pytester, mode: str) -> None:
    inner.makepyfile(
        app="""
import openai

# module level, as many applications do: built before any fixture ran, pointed at api.openai.com
client = openai.OpenAI(api_key="sk-the-real-one", base_url="https://api.openai.com/v1", max_retries=0)
async_client = openai.AsyncOpenAI(api_key="sk-the-real-one", base_url="https://api.openai.com/v1")

def upload(data):
    return client.files.create(file=("train.jsonl", data), purpose="fine-tune").id
"""
    )
    inner.makepyfile(
        test_app=f"""
import asyncio
import openai
import app

def test_import_time_clients(openai_emulator, openai_client):
    file_id = app.upload(b'{TRAINING}')
    assert openai_client.files.retrieve(file_id).id == file_id  # same emulator, same tenant
    async def list_models():
        try:
            return await app.async_client.models.list()
        finally:
            await app.async_client.close()  # its pooled connection belongs to this event loop
    assert asyncio.run(list_models()).data
    with openai.OpenAI(api_key="anything", base_url="https://api.openai.com/v1") as after:
        assert after.files.retrieve(file_id).filename == "train.jsonl"
    with openai.OpenAI() as from_env:  # built from OPENAI_BASE_URL / OPENAI_API_KEY
        assert from_env.files.retrieve(file_id).id == file_id
    app.client.close()
    openai_emulator.assert_called("POST", "/v1/files", times=1)
    openai_emulator.assert_called("GET", "/v1/models", times=1)
"""
    )
    inner.runpytest(f"--emulator-mode={mode}").assert_outcomes(passed=1)


def test_a_paused_job_reads_fine_with_the_default_clients(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        CREATE
        + """
import pytest

@pytest.mark.parametrize("mode", ["sync", "async"])
def test_pause(openai_client, async_openai_client, openai_emulator, mode):
    job = create(openai_client)
    openai_emulator.run_job(job.id, until="running")
    openai_emulator.advance("5s")
    paused = openai_client.fine_tuning.jobs.pause(job.id)
    assert paused.status == "paused"  # what OpenAI answers, although the SDK's enum lacks it
    if mode == "sync":
        assert openai_client.fine_tuning.jobs.retrieve(job.id).status == "paused"
        assert [j.status for j in openai_client.fine_tuning.jobs.list()] == ["paused"]
    else:
        import asyncio
        assert asyncio.run(async_openai_client.fine_tuning.jobs.retrieve(job.id)).status == "paused"
"""
    )
    inner.runpytest().assert_outcomes(passed=2)


def test_strict_validation_is_an_ini_choice(inner: pytest.Pytester) -> None:
    inner.makeini(INI + "emulator_strict_validation = true\n")
    inner.makepyfile(
        CREATE
        + """
import openai, pytest

def test_strict(openai_client, openai_emulator):
    job = create(openai_client)
    openai_emulator.run_job(job.id, until="running")
    openai_emulator.advance("5s")
    with pytest.raises(openai.APIResponseValidationError):
        openai_client.fine_tuning.jobs.pause(job.id)
"""
    )
    inner.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize("mode", ["live", "inprocess"])
def test_async_tests_under_anyio_and_pytest_asyncio(inner: pytest.Pytester, mode: str) -> None:
    inner.makepyfile(
        f"""
import pytest

async def fine_tune(client, emulator):
    training = await client.files.create(file=("train.jsonl", b'{TRAINING}'), purpose="fine-tune")
    job = await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id)
    while job.status not in ("succeeded", "failed", "cancelled"):
        job = await client.fine_tuning.jobs.retrieve(job.id)
    reply = await client.chat.completions.create(
        model=job.fine_tuned_model, messages=[{{"role": "user", "content": "Capital of France?"}}])
    assert reply.choices[0].message.content == "Paris, obviously."

@pytest.mark.anyio
async def test_under_anyio(async_openai_client, openai_emulator):
    await fine_tune(async_openai_client, openai_emulator)

@pytest.mark.asyncio
async def test_under_pytest_asyncio(async_openai_client, openai_emulator):
    await fine_tune(async_openai_client, openai_emulator)
"""
    )
    inner.runpytest(f"--emulator-mode={mode}").assert_outcomes(passed=2)


def test_a_misspelled_marker_argument_is_one_line(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
import pytest

@pytest.mark.emulator(sede=7)
def test_typo(openai_emulator):
    pass
"""
    )
    result = inner.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.emulator: unknown argument 'sede' (did you mean 'seed'?); "
            "valid: scenario, mode, seed,*"
        ]
    )
    output = result.stdout.str()
    assert "Traceback" not in output and "pytest_plugin.py" not in output


def test_the_auto_clock_is_deterministic() -> None:
    """The same polling, after a reset, lands on the same instants: same job, same events."""
    data = TRAINING.encode().decode("unicode_escape").encode()

    def poll(emu: EmulatorHandle) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        with emu.client() as client:
            training = client.files.create(file=("train.jsonl", data), purpose="fine-tune")
            job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id)
            while job.status not in ("succeeded", "failed", "cancelled"):
                job = client.fine_tuning.jobs.retrieve(job.id)
            events = client.fine_tuning.jobs.list_events(job.id, limit=100).data
            return job.model_dump(), [e.model_dump() for e in events]

    with EmulatorHandle(Settings(clock="auto"), mode="inprocess") as emu:
        first = poll(emu)
        emu.reset()
        assert poll(emu) == first
        assert first[0]["status"] == "succeeded" and first[0]["created_at"] < first[0]["finished_at"]
