"""Every switch for lenient mode: `serve --lenient`, EMULATOR_LENIENT, Settings, and the control API."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import httpx

from emulator import EmulatorServer, Settings
from emulator.cli import _parser, serve_settings

from .test_cli import _pump, _wait_for_url

AUTH = {"Authorization": "Bearer sk-lenient-0000000000000000"}


def test_flag_and_environment_set_the_setting() -> None:
    assert serve_settings(_parser().parse_args(["serve", "--lenient"]), environ={}).lenient is True
    assert serve_settings(_parser().parse_args(["serve"]), environ={}).lenient is False
    assert serve_settings(_parser().parse_args(["serve"]), environ={"EMULATOR_LENIENT": "true"}).lenient
    assert Settings.build(lenient="0").lenient is False and Settings.build(lenient="yes").lenient is True


def test_control_api_reads_and_switches_the_mode() -> None:
    with EmulatorServer(Settings(port=0)) as live:
        assert httpx.get(f"{live.url}/_emulator/lenient").json() == {"lenient": False}
        assert httpx.get(f"{live.url}/v1/files/file-abc123", headers=AUTH).status_code == 404
        assert httpx.post(f"{live.url}/_emulator/lenient", json={"enabled": True}).json() == {"lenient": True}
        assert httpx.get(f"{live.url}/v1/files/file-abc123", headers=AUTH).json()["id"] == "file-abc123"
        bad = httpx.post(f"{live.url}/_emulator/lenient", json={"enabled": "maybe"})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "enabled"
        httpx.post(f"{live.url}/_emulator/reset")
        assert httpx.get(f"{live.url}/_emulator/lenient").json() == {
            "lenient": True
        }  # a reset keeps the mode


def test_emulator_serve_lenient_process_materializes_a_job() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", "--clock", "virtual", "--lenient"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
        try:
            url = _wait_for_url(lines, deadline=time.monotonic() + 15)
            job = httpx.get(f"{url}/v1/fine_tuning/jobs/ftjob-abc123", headers=AUTH, timeout=5).json()
            assert (job["id"], job["status"]) == ("ftjob-abc123", "succeeded")
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
    assert proc.returncode == 0
