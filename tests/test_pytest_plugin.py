"""The pytest plugin, exercised the way users meet it: test files run by an inner pytest (pytester)."""

from __future__ import annotations

import time

import httpcore2  # noqa: F401  (see below)
import pytest

from emulator.testing import EmulatorHandle, parse_clock

pytest_plugins = ["pytester"]
# pytester's in-process runs unload every module first imported during a run. httpx2 imports httpcore2
# lazily and keeps its exception map, so a re-imported httpcore2 would raise classes that map (and the
# SDK's retry logic) no longer recognise. Importing it up front keeps one copy for every inner run.

# Inner runs use the strictest settings a user might have.
INI = """
[pytest]
addopts = --strict-markers --strict-config -p no:cacheprovider
xfail_strict = true
filterwarnings = error
asyncio_default_fixture_loop_scope = function
"""

TRAINING = (
    '{"messages": [{"role": "user", "content": "Capital of France?"}, '
    '{"role": "assistant", "content": "Paris, obviously."}]}\\n'
) * 12

# The "done when": upload, create a job, advance the clock, the fine-tuned model answers; the
# second client is built from OPENAI_BASE_URL / OPENAI_API_KEY, as code under test would build it.
USER_TEST = f"""
import openai

def test_fine_tuned_model_answers(openai_client, openai_emulator):
    training = openai_client.files.create(file=("train.jsonl", b'{TRAINING}'), purpose="fine-tune")
    job = openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id)
    openai_emulator.advance("1h")
    job = openai_client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "succeeded"
    question = [{{"role": "user", "content": "Capital of France?"}}]
    reply = openai.OpenAI().chat.completions.create(model=job.fine_tuned_model, messages=question)
    assert reply.choices[0].message.content == "Paris, obviously."
    openai_emulator.assert_called("POST", "/v1/fine_tuning/jobs", times=1)
"""


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    return pytester


@pytest.mark.parametrize("mode", ["live", "inprocess"])
def test_user_test_passes_in_each_mode(inner: pytest.Pytester, mode: str) -> None:
    inner.makepyfile(USER_TEST)
    inner.runpytest(f"--emulator-mode={mode}").assert_outcomes(passed=1)


def test_mode_both_runs_each_test_once_per_mode(inner: pytest.Pytester) -> None:
    inner.makepyfile(USER_TEST)
    result = inner.runpytest("--emulator-mode=both", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*test_fine_tuned_model_answers?inprocess? PASSED*", "*test_fine_tuned_model_answers?live? PASSED*"]
    )


def test_ini_selects_the_mode(inner: pytest.Pytester) -> None:
    inner.makeini(INI + "emulator_mode = inprocess\n")
    inner.makepyfile(
        """
        def test_mode(openai_emulator, openai_emulator_mode):
            assert openai_emulator_mode == "inprocess"
            assert openai_emulator.base_url == "http://openai-emulator.test/v1"
        """
    )
    inner.runpytest().assert_outcomes(passed=1)


def test_under_xdist_each_worker_has_its_own_server(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        USER_TEST
        + """
import pytest

@pytest.mark.parametrize("n", range(6))
def test_many(openai_client, openai_emulator, n):
    openai_client.files.create(file=("a.jsonl", b"{}\\n"), purpose="fine-tune")
    assert len(openai_client.files.list().data) == 1
"""
    )
    result = inner.runpytest_subprocess("-p", "xdist", "-n", "2", timeout=60)
    result.assert_outcomes(passed=7)


def test_each_test_starts_clean_on_one_server(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import pytest
        seen = {}

        @pytest.mark.parametrize("n", range(3))
        def test_clean(openai_client, openai_emulator, n):
            assert openai_client.files.list().data == []
            assert openai_emulator.requests(path="/v1/files") == [openai_emulator.requests()[0]]
            assert openai_emulator.now() == 1_735_689_600.0
            openai_client.files.create(file=("a.jsonl", b"{}\\n"), purpose="fine-tune")
            openai_emulator.advance("1h")
            seen.setdefault("url", openai_emulator.url)
            assert openai_emulator.url == seen["url"]  # the same server for the whole session
        """
    )
    inner.runpytest().assert_outcomes(passed=3)


def test_marker_is_registered(inner: pytest.Pytester) -> None:
    result = inner.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.emulator(scenario=None, seed=None, clock=None, mode=None*"])


def test_marker_sets_seed_clock_and_mode(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import datetime as dt
        import pytest

        pytestmark = pytest.mark.emulator(seed=11)

        def test_module_marker(openai_emulator):
            assert openai_emulator.seed == 11

        @pytest.mark.emulator(seed=7, clock="2030-01-01T00:00:00Z", mode="inprocess")
        def test_function_marker_wins(openai_emulator, openai_client):
            assert openai_emulator.seed == 7
            assert openai_emulator.now() == dt.datetime(2030, 1, 1, tzinfo=dt.UTC).timestamp()
            assert openai_emulator.mode == "inprocess"
            openai_client.models.list()

        @pytest.mark.emulator(clock="real", speed=60.0)
        def test_real_clock(openai_emulator):
            assert openai_emulator.state.clock.mode == "real"

        def test_next_test_is_back_to_defaults(openai_emulator):
            assert openai_emulator.seed == 11
            assert openai_emulator.state.clock.mode == "auto"  # the plugin's default
        """
    )
    inner.runpytest("--emulator-mode=live").assert_outcomes(passed=4)


def test_bad_marker_arguments_are_usage_errors(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import pytest

        @pytest.mark.emulator(clock="sometime")
        def test_bad(openai_emulator):
            pass
        """
    )
    result = inner.runpytest()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*@pytest.mark.emulator: clock must be 'virtual', 'auto', 'real'*"])
    assert "Traceback" not in result.stdout.str()


def test_settings_fixture_can_be_overridden(inner: pytest.Pytester) -> None:
    inner.makeconftest(
        """
        import pytest
        from emulator import Settings

        @pytest.fixture
        def emulator_settings():
            return Settings(host="127.0.0.1", port=0, seed=5, api_keys=("sk-team-key",))
        """
    )
    inner.makepyfile(
        """
        import openai, os, pytest

        def test_allow_list(openai_emulator, openai_client):
            assert openai_emulator.seed == 5
            assert os.environ["OPENAI_API_KEY"] == "sk-team-key"
            openai_client.models.list()
            with pytest.raises(openai.AuthenticationError):
                openai_emulator.client(api_key="sk-stranger", max_retries=0).models.list()
        """
    )
    inner.runpytest("--emulator-mode=both").assert_outcomes(passed=2)


def test_async_client(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        f"""
        import pytest

        @pytest.mark.anyio
        async def test_async_upload(async_openai_client, openai_emulator):
            f = await async_openai_client.files.create(file=("t.jsonl", b'{TRAINING}'), purpose="fine-tune")
            page = await async_openai_client.files.list()
            assert [x.id for x in page.data] == [f.id]
            openai_emulator.assert_called("POST", "/v1/files", times=1)

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """
    )
    inner.runpytest("--emulator-mode=both").assert_outcomes(passed=2)


def test_a_missed_call_reports_near_misses(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        def test_miss(openai_client, openai_emulator):
            openai_client.models.list()
            openai_emulator.assert_called("POST", "/v1/model", times=2)
        """
    )
    result = inner.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected POST /v1/model to be requested 2 times, but it was requested 0 times.",
            "*Near misses:",
            "*GET /v1/models -> 200   (differs in method GET, path /v1/models)",
        ]
    )


def test_an_exception_in_the_server_fails_the_test_quickly(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        def test_boom(openai_client, openai_emulator, monkeypatch):
            def boom(api_key):
                raise ZeroDivisionError("kaboom inside the emulator")
            monkeypatch.setattr(openai_emulator.state, "tenant", boom)
            openai_client.models.list()

        def test_server_still_serves_the_next_test(openai_client):
            assert openai_client.models.list().data
        """
    )
    started = time.monotonic()
    result = inner.runpytest("--emulator-mode=both")
    result.assert_outcomes(failed=2, passed=2)
    result.stdout.fnmatch_lines(
        ["*the emulator raised 1 unexpected exception(s)*", "*ZeroDivisionError: kaboom*"]
    )
    assert time.monotonic() - started < 10  # the SDK was told not to retry an emulator bug


def test_a_swallowed_server_exception_still_fails_the_test(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import openai, pytest

        def test_expects_500(openai_client, openai_emulator, monkeypatch):
            monkeypatch.setattr(openai_emulator.state, "tenant", lambda key: 1 / 0)
            with pytest.raises(openai.InternalServerError):
                openai_client.models.list()

        def test_acknowledged(openai_client, openai_emulator, monkeypatch):
            monkeypatch.setattr(openai_emulator.state, "tenant", lambda key: 1 / 0)
            with pytest.raises(openai.InternalServerError):
                openai_client.models.list()
            assert [type(e) for e in openai_emulator.take_errors()] == [ZeroDivisionError]
        """
    )
    inner.runpytest().assert_outcomes(failed=1, passed=1)


def test_job_controls(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        f"""
        import pytest
        from emulator.testing import ControlError

        @pytest.fixture
        def training(openai_client):
            return openai_client.files.create(file=("train.jsonl", b'{TRAINING}'), purpose="fine-tune").id

        def test_run_job_until_a_status(openai_client, openai_emulator, training):
            job = openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training)
            assert openai_emulator.run_job(job.id, until="running").status == "running"
            done = openai_emulator.run_job(job.id)
            assert done.status == "succeeded" and done.fine_tuned_model.startswith("ft:gpt-4o-mini")
            assert openai_client.models.retrieve(done.fine_tuned_model).id == done.fine_tuned_model
            with pytest.raises(ControlError, match="cannot reach"):
                openai_emulator.run_job(job.id, until="failed")

        def test_run_all_jobs(openai_client, openai_emulator, training):
            ids = {{openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training).id
                    for _ in range(3)}}
            results = openai_emulator.run_all_jobs()
            assert {{r["id"] for r in results}} == ids
            assert {{r["status"] for r in results}} == {{"succeeded"}}

        @pytest.mark.emulator(job_progression="step-per-read")
        def test_an_unmodified_polling_loop_finishes(openai_client, training):
            job = openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training)
            seen = [job.status]
            while job.status not in ("succeeded", "failed", "cancelled"):
                job = openai_client.fine_tuning.jobs.retrieve(job.id)
                seen.append(job.status)
            assert seen == ["validating_files", "queued", "running", "succeeded"]
        """
    )
    inner.runpytest("--emulator-mode=both").assert_outcomes(passed=6)


def test_scenarios_by_name_path_and_builder(inner: pytest.Pytester) -> None:
    inner.makefile(
        ".yaml",
        two_503s="""
        name: two_503s
        rules:
          - match: {method: GET, path: /v1/models}
            times: 2
            respond: {status: 503, headers: {retry-after-ms: "1"}}
        """,
    )
    inner.makepyfile(
        """
        import openai, pytest
        from emulator.scenarios import scenario

        @pytest.mark.emulator(scenario="flaky_network")
        def test_library_name(openai_client, openai_emulator):
            assert openai_client.models.list().data  # the SDK's two retries ride out a reset and a 503
            statuses = [e.status for e in openai_emulator.requests("GET", "/v1/models")]
            assert statuses == [0, 503, 200]
            openai_emulator.assert_called("GET", "/v1/models", status=200, times=1)

        @pytest.mark.emulator(scenario="two_503s.yaml")
        def test_path_next_to_the_test(openai_client, openai_emulator):
            assert openai_client.models.list().data
            openai_emulator.assert_called("GET", "/v1/models", status=503, times=2)

        def test_built_in_python(openai_client, openai_emulator):
            openai_emulator.use_scenario(
                scenario("no-uploads").on("POST", "/v1/files").respond(429, error="insufficient_quota")
            )
            with pytest.raises(openai.RateLimitError) as caught:
                client = openai_client.with_options(max_retries=0)  # the SDK would retry a 429
                client.files.create(file=("a.jsonl", b"{}\\n"), purpose="fine-tune")
            assert caught.value.code == "insufficient_quota"

        def test_scenarios_end_with_their_test(openai_client, openai_emulator):
            assert openai_emulator.active_scenarios() == []
            openai_client.models.list()
            openai_emulator.assert_called("GET", "/v1/models", status=200, times=1)
        """
    )
    inner.runpytest("--emulator-mode=both").assert_outcomes(passed=8)


def test_client_timeouts_work_in_process_too(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import time, openai, pytest
        from emulator.scenarios import scenario

        @pytest.mark.parametrize("fault", ["delay", "slow_success"])
        def test_times_out(openai_client, openai_emulator, fault):
            rule = scenario("slow").on("GET", "/v1/models")
            openai_emulator.use_scenario(rule.delay("5s") if fault == "delay" else rule.fault("slow_success"))
            started = time.monotonic()
            with pytest.raises(openai.APITimeoutError):
                openai_client.with_options(timeout=0.2, max_retries=0).models.list()
            assert time.monotonic() - started < 2

        def test_the_abandoned_request_stayed_in_its_own_test(openai_emulator):
            assert openai_emulator.requests() == []
        """
    )
    started = time.monotonic()
    inner.runpytest("--emulator-mode=both").assert_outcomes(passed=6)
    assert time.monotonic() - started < 5  # nothing waited for the held requests


def test_a_bad_scenario_points_at_the_mistake(inner: pytest.Pytester) -> None:
    inner.makefile(".yaml", bad="name: bad\nrules:\n  - match: {pathh: /v1/files}\n")
    inner.makepyfile(
        """
        import pytest

        @pytest.mark.emulator(scenario="bad.yaml")
        def test_bad(openai_emulator):
            pass
        """
    )
    result = inner.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*bad.yaml:3: rules[[]0[]].match.pathh: unknown key 'pathh'*"])


def test_handle_works_without_pytest() -> None:
    for mode in ("inprocess", "live"):
        with EmulatorHandle(mode=mode) as emu, emu.client() as client:
            created = client.files.create(file=("a.jsonl", b"{}\n"), purpose="fine-tune")
            assert client.files.retrieve(created.id).id == created.id
            assert emu.advance("90s") == 1_735_689_690.0
            emu.reset()
            assert client.files.list().data == []
            assert emu.now() == 1_735_689_600.0


def test_parse_clock_accepts_modes_and_times() -> None:
    assert parse_clock("real") == {"clock": "real"}
    assert parse_clock("auto") == {"clock": "auto"}
    assert parse_clock(0) == {"clock": "auto", "start_time": 0.0}
    assert parse_clock(0, "virtual") == {"clock": "virtual", "start_time": 0.0}
    # a start time needs a simulated clock
    assert parse_clock(0, "real") == {"clock": "auto", "start_time": 0.0}
    assert parse_clock("2025-01-01T00:00:00Z") == {"clock": "auto", "start_time": 1_735_689_600.0}
    with pytest.raises(ValueError):
        parse_clock("soon")
