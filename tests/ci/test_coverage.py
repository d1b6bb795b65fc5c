"""The coverage report and the client-behaviour verdict: from the pytest plugin (a user's test session run
by an inner pytest) and from a dev server (control endpoint and CLI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from emulator.cli import main

from .processes import serve

pytest_plugins = ["pytester"]
Session = tuple[dict[str, Any], list[str]]

SCENARIO = """
name: slow_down
rules:
  - match: {method: GET, path: /v1/models}
    times: 1
    respond: {error: rate_limit_exceeded, headers: {retry-after-ms: "300"}}
"""

USER_TESTS = """
import io, pytest

KEY = {"Authorization": "Bearer sk-emulator-test-0123456789abcdefghijklmnop"}

@pytest.mark.emulator(scenario="slow_down.yaml")
def test_impatient(openai_emulator):
    http = openai_emulator.http_client()
    for _ in range(3):  # retries at once, whatever retry-after-ms says
        if http.get("/v1/models", headers=KEY).status_code != 429:
            break

@pytest.mark.emulator(scenario="slow_down.yaml")
def test_patient(openai_client):
    assert openai_client.models.list().data  # the SDK waits as asked

@pytest.mark.emulator(scenario="commit_then_drop")
def test_uploads_once(openai_client):
    openai_client.files.create(file=("a.jsonl", io.BytesIO(b'{"prompt": "x"}\\n')), purpose="batch")

def test_job_to_the_end(openai_client, openai_emulator):
    data = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\\n'
    data *= 10
    training = openai_client.files.create(file=("t.jsonl", io.BytesIO(data)), purpose="fine-tune")
    job = openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id)
    openai_emulator.advance("2h")
    assert openai_client.fine_tuning.jobs.retrieve(job.id).status == "succeeded"
"""


@pytest.fixture
def session_report(pytester: pytest.Pytester) -> tuple[dict[str, Any], list[str]]:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makefile(".yaml", slow_down=SCENARIO)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("--emulator-mode=inprocess", "--openai-emulator-report=out/coverage.json")
    result.assert_outcomes(passed=4)
    report = json.loads((pytester.path / "out" / "coverage.json").read_text())
    return report, result.outlines


def test_verdict_catches_a_client_that_ignores_retry_after(
    session_report: Session,
) -> None:
    report, _ = session_report
    findings = report["verdict"]["findings"]
    ignored = [f for f in findings if f["check"] == "retry_after"]
    assert [f["test"] for f in ignored] == ["test_user.py::test_impatient"]
    assert ignored[0]["severity"] == "error" and len(ignored[0]["request_ids"]) == 2
    assert all(rid.startswith("req_") for rid in ignored[0]["request_ids"])
    assert "asked for 0.3s" in ignored[0]["message"]
    assert not [f for f in findings if f["test"].endswith("test_patient")]


def test_verdict_catches_a_duplicated_create(session_report: Session) -> None:
    report, _ = session_report
    (duplicate,) = [f for f in report["verdict"]["findings"] if f["check"] == "duplicates"]
    assert duplicate["test"] == "test_user.py::test_uploads_once" and duplicate["severity"] == "error"
    assert "POST /v1/files" in duplicate["message"] and len(duplicate["request_ids"]) == 2
    assert report["faults"]["commit_then_drop"] == {"retried": 1}


def test_report_counts_operations_statuses_and_job_states(
    session_report: Session,
) -> None:
    report, lines = session_report
    operations = report["operations"]
    assert operations["GET /v1/models"]["statuses"] == {"429": 2, "200": 2}
    assert operations["GET /v1/models"]["error_types"] == {"rate_limit_exceeded": 2}
    assert operations["POST /v1/fine_tuning/jobs"]["calls"] == 1
    assert "succeeded" in report["terminal_states_observed"]
    assert "GET /v1/fine_tuning/jobs/{fine_tuning_job_id}/events" in report["operations_not_called"]
    assert report["summary"]["tests"] == 4
    text = "\n".join(lines)
    assert "OpenAI emulator coverage" in text and "client verdict: 2 error(s)" in text
    assert "[error] retry_after: test_user.py::test_impatient" in text
    assert "NOT FOUND" not in text and "openapi.yaml" not in text  # nothing about the project's own layout


def test_the_report_is_gathered_across_xdist_workers(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makefile(".yaml", slow_down=SCENARIO)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess(
        "-n", "2", "--emulator-mode=inprocess", "--openai-emulator-report=coverage.json", "-p", "xdist"
    )
    result.assert_outcomes(passed=4)
    report = json.loads((pytester.path / "coverage.json").read_text())
    assert report["summary"]["tests"] == 4
    assert {f["check"] for f in report["verdict"]["findings"]} == {"retry_after", "duplicates"}


def test_dev_server_coverage_endpoint_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve(tmp_path, "--clock", "virtual", "--scenario", "commit_then_drop") as server:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-dev", max_retries=2)
        client.files.create(file=("a.jsonl", b'{"prompt": "x"}\n'), purpose="batch")
        body = httpx.get(f"{server.url}/_emulator/coverage", timeout=10).json()
        out = tmp_path / "coverage.json"
        assert main(["coverage", server.url, "--out", str(out), "--fail-on", "error"]) == 1
    (duplicate,) = body["verdict"]["findings"]
    assert duplicate["check"] == "duplicates" and duplicate["test"].startswith("org-")
    assert json.loads(out.read_text())["operations"]["POST /v1/files"]["statuses"] == {"0": 1, "200": 1}
    assert "client verdict: 1 error(s)" in capsys.readouterr().out
