"""`emulator validate` as a newcomer meets it: a file the upload would refuse is refused, the report names
the local path (no invented file id), and a big file shows progress on a terminal only."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.cli import main

ROW: dict[str, object] = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello there"}]}


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_a_txt_file_is_refused_as_the_upload_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _write(tmp_path / "train.txt", [ROW] * 20)  # valid content, wrong name
    assert main(["validate", str(data)]) == 1
    out = capsys.readouterr().out.strip()
    assert out == (
        f"INVALID: uploading {data} with purpose fine-tune would fail: "
        "Invalid file format for Fine-Tuning API. Must be .jsonl"
    )
    assert main(["validate", "--json", str(data)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report == {
        "file": str(data),
        "valid": False,
        "upload_error": {"message": "Invalid file format for Fine-Tuning API. Must be .jsonl"},
    }


def test_the_report_names_the_local_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write(tmp_path / "legacy.jsonl", [{"prompt": "a", "completion": "b"}] * 12)
    assert main(["validate", str(data)]) == 1
    out = capsys.readouterr().out
    assert f"Input file {data} is in the fine-tune-completion format" in out
    assert "file-legacy" not in out and "file-" not in out.replace(str(data), "")
    assert main(["validate", "--json", str(data)]) == 1
    assert str(data) in json.loads(capsys.readouterr().out)["job_error"]["message"]


def _run_on_a_terminal(*argv: str) -> tuple[int, str, str]:
    """Run `emulator validate` with stderr on a pseudo-terminal; return (exit code, stdout, terminal)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "LINES": "24"}
    with subprocess.Popen(
        [sys.executable, "-m", "emulator", "validate", *argv],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    ) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            chunks.append(chunk)
        out = proc.stdout.read().decode() if proc.stdout else ""
        proc.wait(timeout=60)
    os.close(leader)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")


def test_progress_shows_on_a_terminal_only(tmp_path: Path) -> None:
    data = _write(tmp_path / "train.jsonl", [ROW] * 5000)
    code, out, terminal = _run_on_a_terminal(str(data))
    assert code == 0 and "OK: a fine-tuning job would accept this file." in out
    frames = [frame for frame in terminal.split("\r") if "train.jsonl:" in frame]
    assert frames and "100%|" in frames[-1] and "lines/s" in frames[-1]
    assert "<" in frames[-1]  # elapsed<remaining: the ETA
    piped = subprocess.run(
        [sys.executable, "-m", "emulator", "validate", str(data)], capture_output=True, text=True, timeout=60
    )
    assert piped.returncode == 0 and piped.stderr == "" and "lines/s" not in piped.stdout
    code, out, terminal = _run_on_a_terminal("--json", str(data))
    assert code == 0 and json.loads(out)["valid"] is True and "lines/s" not in terminal
