"""The `emulator` command line, called through `main([...])`, plus one real start/stop of `serve`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from emulator import Settings, create_app
from emulator.cli import AccessLog, _is_loopback, _parser, main, serve_settings


def _serve_args(*argv: str) -> argparse.Namespace:
    return _parser().parse_args(["serve", *argv])


@pytest.mark.parametrize(
    "argv", [[], ["serve"], ["validate"], ["scenarios"], ["scenarios", "list"], ["scenarios", "check"]]
)
def test_help_is_available_everywhere(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    assert "usage: emulator" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("emulator 0.1.0")


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2


def test_serve_settings_default_to_a_real_clock_at_dev_speed() -> None:
    settings = serve_settings(_serve_args(), environ={})
    assert settings == Settings(clock="real", speed=10.0)
    assert serve_settings(_serve_args(), environ={"EMULATOR_SPEED": "2"}).speed == 2.0


def test_serve_flags_set_every_setting() -> None:
    args = _serve_args(
        "--host",
        "::1",
        "--port",
        "0",
        "--seed",
        "42",
        "--clock",
        "virtual",
        "--speed",
        "30",
        "--start-time",
        "1700000000",
        "--job-progression",
        "step-per-read",
        "--api-key",
        "sk-a",
        "--api-key",
        "sk-b",
        "--org",
        "sk-a=acme",
        "--org",
        "sk-b=acme",
        "--set",
        "max-file-bytes=1024",
        "--log-level",
        "warning",
    )
    settings = serve_settings(args, environ={})
    assert (settings.host, settings.port, settings.seed, settings.clock, settings.speed) == (
        "::1",
        0,
        42,
        "virtual",
        30.0,
    )
    assert settings.start_time == 1_700_000_000.0
    assert settings.job_progression == "step-per-read"
    assert settings.api_keys == ("sk-a", "sk-b")
    assert settings.organizations == {"sk-a": "acme", "sk-b": "acme"}
    assert settings.max_file_bytes == 1024
    assert settings.log_level == "warning"


def test_environment_variables_set_serve_and_flags_win() -> None:
    environ = {
        "EMULATOR_PORT": "9001",
        "EMULATOR_SEED": "7",
        "EMULATOR_CLOCK": "virtual",
        "EMULATOR_API_KEYS": "sk-x,sk-y",
        "EMULATOR_SPEED": "12.5",
    }
    settings = serve_settings(_serve_args("--seed", "8"), environ=environ)
    assert (settings.port, settings.seed, settings.clock, settings.speed) == (9001, 8, "virtual", 12.5)
    assert settings.api_keys == ("sk-x", "sk-y")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--speed", "0"], "speed must be positive"),
        (["--org", "no-equals-sign"], "--org expects NAME=VALUE"),
        (["--set", "colour=blue"], "unknown setting(s): colour"),
    ],
)
def test_bad_serve_settings_exit_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "environ", {})
    assert main(["serve", *argv]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.com", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert _is_loopback(host) is loopback


def test_access_log_prints_method_path_status_and_ms(caplog: pytest.LogCaptureFixture) -> None:
    app = AccessLog(create_app(Settings()))
    with caplog.at_level(logging.INFO, logger="emulator.access"), TestClient(app) as http:
        http.get("/v1/models", headers={"Authorization": "Bearer sk-test"})
        http.get("/v1/nowhere?limit=2", headers={"Authorization": "Bearer sk-test"})
    lines = [r.getMessage() for r in caplog.records if r.name == "emulator.access"]
    assert lines[0].startswith("GET /v1/models 200 ") and lines[0].endswith("ms")
    assert lines[1].startswith("GET /v1/nowhere?limit=2 404 ")


def test_access_log_names_the_rule_a_scenario_fired(caplog: pytest.LogCaptureFixture) -> None:
    app = AccessLog(create_app(Settings(scenarios=("quota_exhausted",))))
    with caplog.at_level(logging.INFO, logger="emulator.access"), TestClient(app) as http:
        http.get("/v1/models", headers={"Authorization": "Bearer sk-test"})
    (line,) = [r.getMessage() for r in caplog.records if r.name == "emulator.access"]
    assert line.startswith("GET /v1/models 429 ")
    assert line.endswith(" [rule quota_exhausted:no_credit]")


def test_access_log_names_the_fired_rule(caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        scope["state"]["journal_rule"] = "flaky-uploads#0"  # what the edge records in the journal
        await send({"type": "http.response.start", "status": 503, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

    with caplog.at_level(logging.INFO, logger="emulator.access"):
        TestClient(AccessLog(app)).post("/v1/files")  # no `with`: this bare app has no lifespan
    (line,) = [r.getMessage() for r in caplog.records if r.name == "emulator.access"]
    assert line.startswith("POST /v1/files 503 ") and line.endswith(" [rule flaky-uploads#0]")


def test_python_m_emulator_serve_starts_and_stops_on_ctrl_c() -> None:
    env = {**os.environ, "EMULATOR_SEED": "3", "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", "--clock", "virtual"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:  # the context manager closes the pipes
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True)
        reader.start()
        try:
            url = _wait_for_url(lines, deadline=time.monotonic() + 15)
            assert httpx.get(f"{url}/_emulator/health", timeout=5).json()["seed"] == 3
            models = httpx.get(f"{url}/v1/models", headers={"Authorization": "Bearer sk-a"}, timeout=5)
            assert models.status_code == 200
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
        reader.join(5)
        out = _drain(lines)
        err = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == 0, err
    assert "GET /v1/models 200" in out
    assert "Lifecycle policy: unrestricted (every model works whatever the date;" in out
    assert "emulator stopped" in out


def _pump(stream: object, lines: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        lines.put(line)


def _drain(lines: queue.Queue[str]) -> str:
    out = []
    while not lines.empty():
        out.append(lines.get_nowait())
    return "".join(out)


def _wait_for_url(lines: queue.Queue[str], deadline: float) -> str:
    """The base URL from the start-up banner, once the banner (with its SDK snippet) is complete."""
    url, banner = "", ""
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        banner += line
        if "listening on " in line:
            url = line.rsplit("listening on ", 1)[1].strip()
        if url and "Control API" in line:
            assert f'OpenAI(base_url="{url}/v1"' in banner
            return url
    raise AssertionError(f"the server did not start in time; stdout so far:\n{banner}")


def test_scenarios_list_shows_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "list"]) == 0
    out = capsys.readouterr().out
    assert "flaky_network" in out and "rate_limited" in out


def test_scenarios_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "list", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert {"name", "description", "path"} <= set(entries[0])


def test_scenarios_check_passes_good_files_and_points_at_mistakes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("name: good\nrules:\n  - match: {path: /v1/files}\n    respond: {status: 503}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nrules:\n  - match: {pathh: /v1/files}\n")
    assert main(["scenarios", "check", str(good)]) == 0
    assert capsys.readouterr().out == f"ok  {good}\n"
    assert main(["scenarios", "check", str(good), str(bad)]) == 1
    captured = capsys.readouterr()
    assert f"{bad}:3: rules[0].match.pathh: unknown key 'pathh'" in captured.err
    assert f"ok  {good}" in captured.out and f"ok  {bad}" not in captured.out


def test_serve_scenario_flags_reach_the_settings(tmp_path: Path) -> None:
    args = _serve_args("--scenario", "flaky_network", "--scenario", "x.yaml", "--scenario-dir", str(tmp_path))
    settings = serve_settings(args, environ={})
    assert settings.scenarios == ("flaky_network", "x.yaml")
    assert settings.scenario_dir == str(tmp_path)


def test_serve_refuses_a_bad_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nrules: [{fault: sparks}]\n")
    assert main(["serve", "--port", "0", "--scenario", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err


def _jsonl(path: Path, examples: Sequence[object]) -> Path:
    path.write_text("".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in examples))
    return path


def _chat(user: str, assistant: str) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]}


def test_validate_prices_the_seeds_example_at_2_40(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 12 + 988 tokens per example (the cookbook count: 3 per message + role + content, +3 to prime the
    # reply) = 1,000; 100 examples = a 100,000-token file, which the auto rule trains for 3 epochs.
    data = _jsonl(tmp_path / "train.jsonl", [_chat("hi", "a" + " a" * 987)] * 100)
    assert main(["validate", str(data)]) == 0
    out = capsys.readouterr().out
    assert "Tokens in the file: 100,000" in out
    assert "Epochs: 3 (auto)" in out
    assert "Trained tokens: 300,000 = 100,000 x 3" in out
    assert (
        "Estimated training cost: $2.40 at $8.00 / 1M training tokens ($0.008 / 1K), "
        "gpt-3.5-turbo-0613's training price" in out
    )
    assert out.rstrip().endswith("OK: a fine-tuning job would accept this file.")


def test_validate_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _jsonl(tmp_path / "train.jsonl", [_chat("hi", "a" + " a" * 987)] * 100)
    assert main(["validate", str(data), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["examples"], report["n_epochs"], report["trained_tokens"]) == (100, 3, 300_000)
    assert report["estimated_cost_usd"] == 2.4
    assert report["valid"] is True and report["job_error"] is None
    assert report["tokens"]["total"] == 100_000


def test_validate_reports_errors_with_line_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _chat("Tell me a story.", "One day a student went to schoool.")
    data = _jsonl(
        tmp_path / "bad.jsonl",
        [good] * 10
        + ["not json", {"messages": [{"role": "user", "content": "hi"}]}, {"messages": [{"content": "x"}]}],
    )
    assert main(["validate", str(data)]) == 1
    out = capsys.readouterr().out
    assert "Errors (3):" in out
    assert "line 11: Invalid file format. Expected file to have JSONL format" in out
    assert (
        "line 12: Invalid file format. Example 12 must have at least one message with role 'assistant'."
        in out
    )
    assert (
        "line 13: Invalid file format. Example 13, message 1 Discriminator 'role' is missing in value" in out
    )
    assert "INVALID: a fine-tuning job would fail with invalid_file_format" in out


def test_validate_too_few_examples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _jsonl(tmp_path / "small.jsonl", [_chat("hi", "hello")] * 7)
    assert main(["validate", str(data), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["job_error"] == {
        "code": "invalid_n_examples",
        "message": "Training file has 7 example(s), but must have at least 10 examples",
    }
    assert report["n_epochs"] == 14  # 100 // 7


def test_validate_warns_about_examples_over_the_token_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _jsonl(tmp_path / "long.jsonl", [_chat("hi", "a" + " a" * 5000)] + [_chat("hi", "hello")] * 11)
    assert main(["validate", str(data), "--model", "gpt-3.5-turbo-0613"]) == 0
    out = capsys.readouterr().out
    assert "1 example(s) over the 4,096-token limit will be truncated: example 1 (5,013 tokens)" in out
    assert "Tokens in the file: 5,156 (4,239 billed per epoch)" in out  # 5,013 + 11 x 13; 4,096 + 11 x 13


def test_validate_a_missing_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "/no/such/file.jsonl"]) == 2
    assert "No such file or directory" in capsys.readouterr().err
