"""Ready for pipelines: /healthz and `emulator wait`, clean SIGTERM, JSON logs, and the README's CI recipes
(shell and GitHub Actions) run command by command; the Dockerfile's build stage run here."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import httpx
import pytest
import yaml

from emulator.cli import main

from .processes import ROOT, emulator_command, free_port, serve

README = ROOT / "README.md"
APP_TEST = """
import io, time, openai

def test_the_app_fine_tunes():
    client = openai.OpenAI()  # OPENAI_BASE_URL and OPENAI_API_KEY from the pipeline
    data = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\\n'
    training = client.files.create(file=("t.jsonl", io.BytesIO(data * 10)), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id)
    for _ in range(300):  # the emulator runs at 600x: a few seconds
        job = client.fine_tuning.jobs.retrieve(job.id)
        if job.status in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.1)
    assert job.status == "succeeded"
    question = [{"role": "user", "content": "hi"}]
    reply = client.chat.completions.create(model=job.fine_tuned_model, messages=question)
    assert reply.choices[0].message.content == "yo"
"""


def test_healthz_needs_no_key_and_is_outside_v1(tmp_path: Path) -> None:
    with serve(tmp_path, "--api-key", "sk-only") as server:
        health = httpx.get(f"{server.url}/healthz", timeout=5)
        denied = httpx.get(f"{server.url}/v1/healthz", timeout=5)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert denied.status_code == 401  # /v1 stays OpenAI's: no such route, and no key


def test_wait_succeeds_when_ready_and_fails_after_the_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(tmp_path) as server:
        assert main(["wait", server.url + "/v1", "--timeout", "5"]) == 0
    assert capsys.readouterr().out == f"ready: {server.url}/healthz\n"
    dead = f"http://127.0.0.1:{free_port()}"
    assert main(["wait", dead, "--timeout", "0.3"]) == 1
    assert f"emulator wait: {dead}/healthz not ready after 0.3 s" in capsys.readouterr().err


def test_wait_returns_once_a_starting_server_is_up(tmp_path: Path) -> None:
    port = free_port()
    waiter = subprocess.Popen(
        emulator_command("wait", f"http://127.0.0.1:{port}", "--timeout", "30"), cwd=ROOT
    )
    try:
        with serve(tmp_path, port=port):
            assert waiter.wait(timeout=30) == 0
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait()


def test_sigterm_stops_cleanly_even_with_a_request_held(tmp_path: Path) -> None:
    hold = tmp_path / "hold.yaml"
    hold.write_text("name: hold\nrules:\n  - match: {method: GET, path: /v1/models}\n    delay: 120s\n")
    with serve(tmp_path, "--log-format", "json", "--scenario", str(hold)) as server:
        held: list[httpx.Response] = []
        headers = {"Authorization": "Bearer sk-a"}
        client = threading.Thread(
            target=lambda: held.append(httpx.get(f"{server.url}/v1/models", headers=headers, timeout=120))
        )
        client.start()
        _wait_until_fired(server.url)  # the request is inside the server, held by the rule
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=120) == 0
        client.join(120)
    (response,) = held
    assert response.status_code == 503 and response.json()["error"]["type"] == "server_error"
    lines = [json.loads(line) for line in server.output().splitlines() if line.strip()]
    assert lines[-1] == {"event": "stopped"}
    assert "Traceback" not in server.output()


def _wait_until_fired(url: str) -> None:
    for _ in range(1200):
        active = httpx.get(f"{url}/_emulator/scenarios", timeout=10).json()["data"]
        if active and active[0]["rules"][0]["fired"] == 1:
            return
        time.sleep(0.05)
    raise AssertionError("the held request never reached the server")


def test_log_format_json_is_one_object_per_line(tmp_path: Path) -> None:
    prelude = 'from emulator.domain import models\nmodels.base_to_dict = lambda m: {"id": m.id}'
    with serve(tmp_path, "--log-format", "json", "--contract", "warn", prelude=prelude) as server:
        httpx.get(f"{server.url}/v1/models/gpt-4o-mini", headers={"Authorization": "Bearer sk-a"}, timeout=5)
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=30)
    lines = [json.loads(line) for line in server.output().splitlines()]  # every line parses
    assert any(line.get("event") == "listening" for line in lines)
    (access,) = [line for line in lines if line.get("path") == "/v1/models/gpt-4o-mini"]
    assert (access["method"], access["status"], access["logger"]) == ("GET", 200, "emulator.access")
    (violation,) = [line for line in lines if line.get("logger") == "emulator.contract"]
    assert violation["level"] == "warning" and "'object' is a required property" in violation["message"]


def _recipe(kind: str) -> str:
    text = README.read_text()
    match = re.search(rf"<!-- ci-recipe: {kind} -->\n```\w+\n(.*?)```", text, re.S)
    assert match, f"README has no {kind} recipe"
    return match.group(1)


def _run_recipe(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a recipe in a project with one app test, on a free port, with this venv's `emulator`; `pip
    install` lines are skipped (the package is installed here already)."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text(APP_TEST)
    port = str(free_port())
    lines = [line for line in script.splitlines() if not line.startswith("pip install")]
    body = "\n".join(lines).replace("8000", port)
    bin_dir = Path(sys.executable).parent
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", body],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_shell_recipe_runs(tmp_path: Path) -> None:
    result = _run_recipe(_recipe("shell"), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout and "client verdict: no findings" in result.stdout
    report = json.loads((tmp_path / "emulator-coverage.json").read_text())
    assert report["operations"]["POST /v1/fine_tuning/jobs"]["calls"] == 1
    log = [json.loads(line) for line in (tmp_path / "emulator.log").read_text().splitlines()]
    assert log[-1] == {"event": "stopped"}


def test_the_github_actions_steps_run(tmp_path: Path) -> None:
    steps = yaml.safe_load(_recipe("github-actions"))
    script = ["set -a"]
    for step in steps:
        if "run" not in step:
            assert step["uses"].startswith(("actions/setup-python@", "actions/upload-artifact@"))
            continue
        script += [f"{name}={value}" for name, value in step.get("env", {}).items()]
        script.append(step["run"])
        script += [f"unset {name}" for name in step.get("env", {})]
    script.append('kill -TERM "$(jobs -p)" && wait')  # the runner ends the job's background server
    result = _run_recipe("\n".join(script), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    for path in upload["with"]["path"].split():
        assert (tmp_path / path).exists(), path


def test_the_dockerfile_builds_a_wheel_that_carries_contract_and_scenarios(tmp_path: Path) -> None:
    """No container engine here: run the build stage's COPY and `pip wheel` in a clean context instead."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    context = tmp_path / "src"
    context.mkdir()
    for source, _ in re.findall(r"^COPY (?!--from)(.+?) (\S+)$", dockerfile, re.M):
        for name in source.split():
            target = ROOT / name
            if target.is_dir():
                shutil.copytree(target, context / name)
            else:
                shutil.copy(target, context / name)
    (build,) = re.findall(r"^RUN (pip wheel .*)$", dockerfile, re.M)
    command = build.replace("/wheels", str(tmp_path / "wheels")).split()
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=context, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (tmp_path / "wheels").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "emulator/contract/openapi.json.gz" in names
    assert "emulator/scenarios/library/commit_then_drop.yaml" in names
    assert any(n.endswith("entry_points.txt") for n in names)
    assert 'ENTRYPOINT ["emulator", "serve", "--host", "0.0.0.0", "--port", "8000"]' in dockerfile
    assert 'CMD ["emulator", "wait", "http://127.0.0.1:8000", "--timeout", "4"]' in dockerfile
