"""Declarative fixtures: objects with chosen ids, loaded whole or not at all, from serve, HTTP and pytest."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpcore2  # noqa: F401  (kept loaded across pytester runs; see tests/test_pytest_plugin.py)
import openai
import pytest

from emulator import Settings
from emulator.store.fixtures import FixtureError
from emulator.testing import EmulatorHandle

from .serving import run_serve, serve

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WORLD = EXAMPLES / "world.yaml"
ALICE, BOB = "sk-world-alice", "sk-world-bob"


@pytest.fixture
def handle() -> Iterator[EmulatorHandle]:
    with EmulatorHandle(Settings(host="127.0.0.1", port=0)) as started:
        yield started.start()


def test_the_example_world_has_every_declared_object_in_its_state(handle: EmulatorHandle) -> None:
    loaded = handle.preload(WORLD)
    alice = handle.client(api_key=ALICE)
    assert sorted(loaded[handle.state.organization(ALICE).id]["jobs"]) == sorted(
        ["ftjob-alicedone0001", "ftjob-alicerunning01", "ftjob-alicequeued001"]
    )
    train = alice.files.retrieve("file-alicetrain0001")
    assert (train.filename, train.purpose) == ("train.jsonl", "fine-tune")
    assert alice.files.content(train.id).content == (EXAMPLES / "data" / "train.jsonl").read_bytes()
    assert alice.files.content("file-alicenotes0001").content == b"Inline content works for small files.\n"

    done = alice.fine_tuning.jobs.retrieve("ftjob-alicedone0001")
    assert done.status == "succeeded" and done.seed == 42
    assert done.fine_tuned_model and ":marv:" in done.fine_tuned_model
    assert done.fine_tuned_model in [m.id for m in alice.models.list()]
    assert done.result_files and alice.files.retrieve(done.result_files[0]).purpose == "fine-tune-results"
    assert len(alice.fine_tuning.jobs.checkpoints.list(done.id).data) == 3
    events = alice.fine_tuning.jobs.list_events(done.id, limit=100).data
    assert events[0].message == "The job has successfully completed"
    reply = alice.chat.completions.create(
        model=done.fine_tuned_model, messages=[{"role": "user", "content": "x"}]
    )
    assert reply.model == done.fine_tuned_model

    running = alice.fine_tuning.jobs.retrieve("ftjob-alicerunning01")
    assert running.status == "running" and running.fine_tuned_model is None
    assert alice.fine_tuning.jobs.retrieve("ftjob-alicequeued001").status == "queued"
    handle.advance("1d")  # from where it was declared, the lifecycle carries on
    assert alice.fine_tuning.jobs.retrieve("ftjob-alicerunning01").status == "succeeded"

    bob = handle.client(api_key=BOB)
    assert bob.fine_tuning.jobs.retrieve("ftjob-bobcancelled01").status == "cancelled"
    with pytest.raises(openai.NotFoundError):
        bob.files.retrieve("file-alicetrain0001")  # tenants stay apart
    assert [s["name"] for s in handle.active_scenarios()] == ["flaky_network"]


def test_chosen_ids_use_up_no_generated_ones(handle: EmulatorHandle, tmp_path: Path) -> None:
    path = tmp_path / "two_files.yaml"
    path.write_text(
        f"tenants:\n  - api_key: {ALICE}\n    files:\n"
        "      - {id: file-mine1, filename: a.txt, purpose: user_data, content: a}\n"
        "      - {id: file-mine2, filename: b.txt, purpose: user_data, content: b}\n"
    )
    client = handle.client(api_key=ALICE)
    first = client.files.create(file=("a.txt", b"a"), purpose="user_data").id
    handle.reset()
    handle.preload(path)
    assert client.files.create(file=("a.txt", b"a"), purpose="user_data").id == first
    assert [f.id for f in client.files.list(order="asc")][:2] == ["file-mine1", "file-mine2"]


BROKEN = """\
tenants:
  - api_key: sk-broken
    files:
      - id: file-ok00000001
        filename: a.txt
        purpose: user_data
        content: fine
      - id: notafileid
        filename: b.txt
        purpose: nonsense
        content: x
      - id: file-ok00000001
        filename: c.txt
        purpose: user_data
    jobs:
      - id: ftjob-x0000001
        model: gpt-4o-mini-2024-07-18
        training_file: file-missing01
        status: sideways
        colour: red
"""


def test_an_invalid_fixture_is_rejected_whole_with_file_line_and_field(
    handle: EmulatorHandle, tmp_path: Path
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    with pytest.raises(FixtureError) as caught:
        handle.preload(path)
    problems = {(p.source, p.line, p.path) for p in caught.value.problems}
    assert ("broken.yaml", 8, "tenants[0].files[1].id") in problems
    assert ("broken.yaml", 10, "tenants[0].files[1].purpose") in problems
    assert ("broken.yaml", 12, "tenants[0].files[2].id") in problems  # declared twice
    assert ("broken.yaml", 12, "tenants[0].files[2]") in problems  # neither content nor path
    assert ("broken.yaml", 18, "tenants[0].jobs[0].training_file") in problems
    assert ("broken.yaml", 19, "tenants[0].jobs[0].status") in problems
    assert ("broken.yaml", 20, "tenants[0].jobs[0].colour") in problems
    assert "broken.yaml:19: tenants[0].jobs[0].status" in str(caught.value)
    assert handle.state.find_tenant(handle.state.organization("sk-broken").id) is None  # nothing applied


def test_a_fixture_the_domain_rejects_leaves_nothing_behind(handle: EmulatorHandle, tmp_path: Path) -> None:
    path = tmp_path / "unknown_model.yaml"
    path.write_text(
        "tenants:\n  - api_key: sk-a\n    files:\n"
        "      - {id: file-t1, filename: t.jsonl, purpose: fine-tune,"
        " content: 'x'}\n    jobs:\n      - {id: ftjob-j1, model: no-such-model, training_file: file-t1}\n"
    )
    with pytest.raises(FixtureError, match=r"unknown_model.yaml:6: tenants\[0\].jobs\[0\]"):
        handle.preload(path)
    with pytest.raises(openai.NotFoundError):
        handle.client(api_key="sk-a").files.retrieve("file-t1")


def test_ids_that_exist_are_errors_not_overwrites(handle: EmulatorHandle) -> None:
    handle.preload(WORLD)
    with pytest.raises(FixtureError, match="already exists; a fixture never overwrites"):
        handle.preload(WORLD)
    assert len(handle.client(api_key=ALICE).fine_tuning.jobs.list().data) == 3


def test_the_control_endpoint_loads_yaml_and_reports_problems_as_a_400(handle: EmulatorHandle) -> None:
    with handle.http_client() as http:
        bad = http.post("/_emulator/fixtures", content=BROKEN)
        assert bad.status_code == 400
        error = bad.json()["error"]
        assert error["code"] == "invalid_fixture" and len(error["errors"]) == 7
        assert any(e["line"] == 19 and e["field"] == "tenants[0].jobs[0].status" for e in error["errors"])
        good = http.post(
            "/_emulator/fixtures",
            content="tenants:\n  - api_key: sk-c\n    files:\n"
            "      - {id: file-c1, filename: c.txt, purpose: user_data, content: hi}\n",
        )
        assert good.status_code == 200, good.text
    assert handle.client(api_key="sk-c").files.content("file-c1").content == b"hi"


def test_serve_preload_survives_restarts_and_loads_once(tmp_path: Path) -> None:
    world = tmp_path / "world"
    shutil.copytree(EXAMPLES, world)
    served = serve(tmp_path / "data", "--preload", str(world / "world.yaml"))
    try:
        alice = openai.OpenAI(base_url=f"{served.url}/v1", api_key=ALICE, max_retries=0)
        assert alice.fine_tuning.jobs.retrieve("ftjob-alicedone0001").status == "succeeded"
        alice.files.delete("file-alicenotes0001")
    finally:
        served.kill()
    (world / "data" / "train.jsonl").write_text("changed on disk later\n")  # the journal kept the bytes
    served = serve(tmp_path / "data", "--preload", str(world / "world.yaml"))
    try:
        alice = openai.OpenAI(base_url=f"{served.url}/v1", api_key=ALICE, max_retries=0)
        assert (
            alice.files.content("file-alicetrain0001").content
            == (EXAMPLES / "data" / "train.jsonl").read_bytes()
        )
        with pytest.raises(openai.NotFoundError):
            alice.files.retrieve("file-alicenotes0001")  # not loaded a second time
    finally:
        served.stop()


def test_serve_refuses_an_invalid_preload(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    refused = run_serve(tmp_path / "data", "--preload", str(path))
    assert refused.returncode == 2
    assert "broken.yaml:19: tenants[0].jobs[0].status" in refused.stderr


def test_the_pytest_marker_preloads_a_world(pytester: pytest.Pytester) -> None:
    shutil.copytree(EXAMPLES, pytester.path / "world")
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        """
        import openai
        import pytest

        @pytest.mark.emulator(preload="world/world.yaml")
        def test_world(openai_emulator):
            alice = openai_emulator.client(api_key="sk-world-alice")
            assert alice.fine_tuning.jobs.retrieve("ftjob-alicedone0001").status == "succeeded"

        def test_clean_without_the_marker(openai_emulator):
            with pytest.raises(openai.NotFoundError):
                openai_emulator.client(api_key="sk-world-alice").files.retrieve("file-alicetrain0001")
        """
    )
    pytester.runpytest("--emulator-mode=inprocess").assert_outcomes(passed=2)


def test_the_readme_curl_example_loads_the_inline_world(handle: EmulatorHandle) -> None:
    with handle.http_client() as http:
        loaded = http.post("/_emulator/fixtures", content=(EXAMPLES / "world-inline.yaml").read_bytes())
        assert loaded.status_code == 200, loaded.text
    carol = handle.client(api_key="sk-world-carol")
    job = carol.fine_tuning.jobs.retrieve("ftjob-carolpingpong1")
    assert job.status == "succeeded" and job.fine_tuned_model
    assert carol.files.content("file-carolnotes0001").content == b"Carol's notes, loaded with a chosen id.\n"


def test_a_pytest_session_directory_is_reused_across_runs_with_other_seeds(pytester: pytest.Pytester) -> None:
    shutil.copytree(EXAMPLES, pytester.path / "world")
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(
        f"""
        import pytest
        from emulator import Settings

        @pytest.fixture
        def emulator_settings():
            return Settings(host="127.0.0.1", port=0, data_dir={str(pytester.path / "data")!r})
        """
    )
    for seed in (1, 2):
        pytester.makepyfile(
            f"""
            import pytest

            @pytest.mark.emulator(seed={seed}, preload="world/world.yaml")
            def test_world(openai_emulator):
                alice = openai_emulator.client(api_key="sk-world-alice")
                assert alice.fine_tuning.jobs.retrieve("ftjob-alicedone0001").status == "succeeded"
                assert openai_emulator.seed == {seed}
            """
        )
        pytester.runpytest("--emulator-mode=inprocess").assert_outcomes(passed=1)
