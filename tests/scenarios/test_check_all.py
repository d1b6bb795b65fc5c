"""`emulator scenarios check` shows every mistake in a file, each with file:line and a did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.cli import main
from emulator.scenarios import load_scenario

TYPOS = """\
name: typos
rules:
  - match: {method: POST, paht: /v1/files}
    respond: {error: server_error}
  - match: {method: GET, path: /v1/models}
    times: -3
    respond: {status: 500}
jobs:
  - fail: {phase: running, at_stp: 3}
rate_limits: {requests_per_minute: 3, tokens_per_minit: 10}
"""


def test_check_shows_every_mistake_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "typos.yaml"
    bad.write_text(TYPOS)
    assert main(["scenarios", "check", str(bad)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 2)[:2] for line in lines] == [
        [f"{bad}:3", "rules[0].match.paht"],
        [f"{bad}:6", "rules[1].times"],
        [f"{bad}:9", "jobs[0].fail.at_stp"],
        [f"{bad}:10", "rate_limits.tokens_per_minit"],
    ]
    assert "unknown key 'paht' (did you mean 'path'? expected one of: method, path," in lines[0]
    assert "did you mean 'at_step'?" in lines[2]
    assert "did you mean 'tokens_per_minute'?" in lines[3]


def test_loading_still_stops_at_the_first_mistake(tmp_path: Path) -> None:
    bad = tmp_path / "typos.yaml"
    bad.write_text(TYPOS)
    with pytest.raises(ValueError, match=r"typos.yaml:3: rules\[0\].match.paht: unknown key 'paht'"):
        load_scenario(bad)
