"""Record → drift end to end: a second emulator process as the upstream, the recording proxy as a process,
the SDK as the client; then the replay against a fresh in-process emulator, faithful and diverging."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.cli import main

from . import workflow
from .processes import ROOT, Process, emulator_command, free_port, serve, spawn

SHIPPED = Path(__file__).parent / "cassettes" / "emulator"
DIVERGING = Path(__file__).parent / "diverging.yaml"


@contextmanager
def recording(tmp: Path, upstream: str, *args: str) -> Iterator[Process]:
    port = free_port()
    out = tmp / "cassettes"
    log = tmp / "record.log"
    command = emulator_command(
        "record", "--upstream", upstream, "--out", str(out), "--port", str(port), *args
    )
    with spawn(command, log) as proc:
        url = f"http://127.0.0.1:{port}"
        _wait(url, proc, log)
        yield Process(proc, url, log)


def _wait(url: str, proc: subprocess.Popen[str], log: Path) -> None:
    from .processes import wait_ready

    wait_ready(url, proc, log)


def _drift(directory: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    report = directory.parent / "drift.json"
    result = subprocess.run(
        emulator_command("drift", str(directory), "--json", str(report), *extra),
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    body = json.loads(report.read_text()) if report.exists() else {}
    return result.returncode, body, result.stdout + result.stderr


def test_record_then_drift_against_an_identical_upstream_finds_nothing(tmp_path: Path) -> None:
    with serve(tmp_path, "--clock", "virtual") as upstream, recording(tmp_path, upstream.url) as proxy:
        workflow.run(proxy.url)
    cassettes = tmp_path / "cassettes"
    names = sorted(p.name for p in cassettes.glob("*.json"))
    assert len(names) == 15 and names[0] == "0001-get-v1-models.json"
    text = "".join(p.read_text() for p in cassettes.glob("*.json"))
    assert workflow.SECRET_KEY not in text and "SecretOrg" not in text and "TopSecret" not in text
    upload = json.loads((cassettes / "0003-post-v1-files.json").read_text())
    (summary,) = upload["request"]["form"]["files"]
    assert (
        summary["bytes"] == len(workflow.TRAINING)
        and len(summary["sha256"]) == 64
        and "content" not in summary
    )
    assert upload["request"]["headers"]["authorization"] == "Bearer REDACTED"
    code, report, output = _drift(cassettes)
    assert code == 0, output
    assert report["exchanges"] == 15 and report["findings"] == [] and "no drift." in output


def test_drift_catches_a_diverging_upstream_and_honours_the_accept_list(tmp_path: Path) -> None:
    with serve(tmp_path, "--clock", "virtual", "--scenario", str(DIVERGING)) as upstream:
        with recording(tmp_path, upstream.url) as proxy:
            workflow.run(proxy.url)
    cassettes = tmp_path / "cassettes"
    code, report, output = _drift(cassettes)
    assert code == 1, output
    found = {(f["kind"], f["where"]) for f in report["findings"]}
    assert ("type", "body.created") in found  # a string where the emulator sends an integer
    assert ("missing_key", "body.capabilities") in found
    assert ("error", "body.error.code") in found and ("error", "body.error.param") not in found
    assert "DRIFT" in output and "GET /v1/models/gpt-4o-mini" in output
    (cassettes / "drift-accept.yaml").write_text(
        "accept:\n"
        "  - operation: 'GET /v1/models/*'\n"
        "    reason: the model card changed upstream, tracked elsewhere\n"
    )
    code, report, output = _drift(cassettes)
    assert code == 1  # the changed error code is still drift
    assert {f["kind"] for f in report["findings"]} == {"error"}
    reasons = {a["reason"] for a in report["accepted"]}
    assert reasons == {"the model card changed upstream, tracked elsewhere"}


def test_unreachable_upstream_is_a_recorded_502(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with recording(tmp_path, dead) as proxy:
        r = httpx.get(
            f"{proxy.url}/v1/models", headers={"Authorization": "Bearer sk-secretsecret"}, timeout=10
        )
    assert r.status_code == 502
    error = r.json()["error"]
    assert (error["type"], error["code"]) == ("server_error", "upstream_unreachable")
    (cassette,) = (tmp_path / "cassettes").glob("*.json")
    data = json.loads(cassette.read_text())
    assert data["response"]["status"] == 502 and data["upstream_error"]
    assert "sk-secretsecret" not in cassette.read_text()
    code, report, output = _drift(tmp_path / "cassettes")
    assert code == 0 and report["skipped"], output  # nothing to compare: the upstream never answered


def test_upstream_timeout_is_a_recorded_504(tmp_path: Path) -> None:
    with (
        serve(tmp_path, "--clock", "virtual") as upstream,
        recording(tmp_path, upstream.url, "--timeout", "0.5") as proxy,
    ):
        r = httpx.get(
            f"{proxy.url}/v1/models",
            headers={"Authorization": "Bearer sk-a", "X-Emulator-Fault": "delay;for=3s"},
            timeout=10,
        )
    assert r.status_code == 504 and r.json()["error"]["code"] == "upstream_timeout"
    (cassette,) = (tmp_path / "cassettes").glob("*.json")
    assert json.loads(cassette.read_text())["response"]["status"] == 504


def test_the_shipped_cassettes_replay_without_drift(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", str(SHIPPED)]) == 0
    assert "15 exchange(s) replayed, 0 difference(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda text: text[: len(text) // 2], "not valid JSON"),
        (lambda text: text.replace('"status": 200', '"status": "two hundred"', 1), "bad status"),
        (lambda text: text.replace('"method"', '"verb"', 1), "missing key 'method'"),
    ],
)
def test_a_corrupt_cassette_is_reported_with_path_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: object, expected: str
) -> None:
    copy = tmp_path / "set"
    shutil.copytree(SHIPPED, copy)
    target = copy / "0002-get-v1-models-gpt-4o-mini.json"
    target.write_text(edit(target.read_text()))  # type: ignore[operator]
    assert main(["drift", str(copy)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"emulator drift: {target}:") and expected in err and "Traceback" not in err
    line = int(err.split(f"{target}:", 1)[1].split(":", 1)[0])
    assert line >= 1


def test_a_bad_accept_list_is_reported_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "set"
    shutil.copytree(SHIPPED, copy)
    (copy / "drift-accept.yaml").write_text(
        "accept:\n  - kind: enum\n    reason: ok\n  - kind: enum\n    why: no\n"
    )
    assert main(["drift", str(copy)]) == 2
    assert f"{copy / 'drift-accept.yaml'}:4: accept[1]" in capsys.readouterr().err


def test_drift_on_a_missing_or_empty_directory_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["drift", str(tmp_path / "nowhere")]) == 2
    assert (
        capsys.readouterr().err == f"emulator drift: {tmp_path / 'nowhere'}: not a directory of cassettes\n"
    )
    assert main(["drift", str(tmp_path)]) == 2
    assert "no cassettes here" in capsys.readouterr().err
