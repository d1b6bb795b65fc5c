"""`emulator serve --webhook`: a real dev-server process delivering to a real receiver, and bad config."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time

import httpx
import openai
import pytest

from emulator.cli import main

from .conftest import Receiver, job_event, start_job

SECRET = "whsec_" + base64.b64encode(b"emulator-webhook-test-secret-32b").decode()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--webhook", "ftp://127.0.0.1/x"], "--webhook ftp://127.0.0.1/x: Invalid URL"),
        (["--webhook", "https://hooks.example.com/x"], "webhook_allow_hosts"),
        (
            ["--webhook", "http://127.0.0.1:9/x", "--webhook-secret", "secret"],
            "--webhook-secret: a webhook secret starts with 'whsec_'",
        ),
        (["--webhook", "http://127.0.0.1:9/x", "--webhook-secret", "whsec_***"], "not valid base64"),
    ],
)
def test_bad_webhook_configuration_is_refused_at_start(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "environ", {})
    assert main(["serve", "--port", "0", *argv]) == 2
    assert message in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_dev_server_signs_deliveries_with_the_configured_secret(receiver: Receiver) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        "serve",
        "--port",
        str(port),
        "--clock",
        "virtual",
        "--webhook",
        receiver.url,
        "--webhook-secret",
        SECRET,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMULATOR_")}
    with subprocess.Popen(
        [sys.executable, "-m", "emulator", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/_emulator/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.05)
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-dev-server-webhooks")
            job_id = start_job(client)
            httpx.post(f"{url}/_emulator/clock/advance", json={"duration": "10d"}, timeout=5)
            httpx.post(f"{url}/_emulator/webhooks/flush", json={}, timeout=10)
            headers, body = receiver.received[0]
            event = client.webhooks.unwrap(body, headers, secret=SECRET)
            assert job_event(event) == ("fine_tuning.job.succeeded", job_id)
        finally:
            proc.terminate()
            output = proc.communicate(timeout=10)[0]
    assert f"Webhooks: fine-tuning job events -> {receiver.url}, signed with {SECRET}" in output
    assert f"webhook {event.id} -> {receiver.url} 200 (attempt 1)" in output
