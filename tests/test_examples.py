"""The examples the README runs, run as a user runs them: the quickstart script against a real
`emulator serve`, with the address and key its banner prints; the example test with `pytest --pyargs`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.examples import TRAINING_FILE

from .serve_process import ServeProcess


def test_the_example_data_passes_validate() -> None:
    assert main(["validate", "--model", "gpt-4o-mini", str(TRAINING_FILE)]) == 0


@pytest.mark.parametrize("clock", [("--speed", "1000"), ("--clock", "auto")], ids=["real-fast", "auto"])
def test_quickstart_runs_against_the_dev_server(clock: tuple[str, str]) -> None:
    with ServeProcess("--port", "0", *clock, "--api-key", "sk-team") as server:
        command = re.search(r"python (-m emulator\.examples\.quickstart .*?)   #", server.banner)
        assert command, server.banner  # the banner's own command line, as a user copies it
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        result = subprocess.run(
            [sys.executable, *command.group(1).split(), "--poll", "0.05"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("uploaded train.jsonl as file-")
    assert re.fullmatch(r"created ftjob-\w+: validating_files", lines[1])
    assert lines[-3].startswith("fine-tuned model: ft:gpt-4o-mini-2024-07-18:personal:marv:")
    assert lines[-2:] == [
        "> What's the capital of France?",
        "Paris, as if everyone doesn't know that already.",
    ]
    assert "POST /v1/files 200" in server.stdout and "POST /v1/chat/completions 200" in server.stdout


def test_the_example_test_runs_with_pytest_pyargs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "emulator.examples", "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # a user's project: no ini of ours
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
