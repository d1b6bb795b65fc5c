"""Deployments survive a restart of `emulator serve --data-dir` (ARM calls and control calls are journaled
and replayed), and the `emulator azure` command drives a running server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from emulator import Settings
from emulator.cli import main
from emulator.testing import EmulatorHandle

from ..store.serving import serve
from .conftest import ACCOUNT, API_VERSION, ARM, ENTRA_TOKEN, model_body

KEY = "azure-durable-key-0000000000000000"
OTHER_ACCOUNT = "second-aoai"


def test_a_deployment_and_its_state_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    served = serve(data, "--azure-account", f"{ACCOUNT}={KEY}")
    entra = {"Authorization": f"Bearer {ENTRA_TOKEN}"}
    try:
        with httpx.Client(base_url=served.url, params=API_VERSION, headers=entra, timeout=30) as arm:
            assert arm.put(f"{ARM}/mini", json=model_body("gpt-4o-mini")).status_code == 201
            assert arm.put(f"{ARM}/gone", json=model_body("gpt-4o")).status_code == 201
            assert arm.delete(f"{ARM}/gone").status_code == 200
            httpx.post(f"{served.url}/_emulator/clock/advance", json={"duration": "2m"}).raise_for_status()
            httpx.post(
                f"{served.url}/_emulator/azure/accounts", json={"name": OTHER_ACCOUNT, "api_key": KEY}
            ).raise_for_status()
            before = arm.get(ARM).json()
        assert [d["properties"]["provisioningState"] for d in before["value"]] == ["Succeeded"]
    finally:
        served.kill()

    restarted = serve(data, "--azure-account", f"{ACCOUNT}={KEY}")
    try:
        with httpx.Client(base_url=restarted.url, params=API_VERSION, headers=entra, timeout=30) as arm:
            assert arm.get(ARM).json() == before
            # the binding made through the control API was replayed too
            other = ARM.replace(ACCOUNT, OTHER_ACCOUNT)
            assert [d["name"] for d in arm.get(other).json()["value"]] == ["mini"]
    finally:
        restarted.stop()


def test_the_azure_command_deploys_lists_and_deletes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served = serve(tmp_path / "data")
    try:
        assert (
            main(
                [
                    "azure",
                    "deploy",
                    "gpt-4o-mini",
                    "--name",
                    "cli-mini",
                    "--api-key",
                    KEY,
                    "--url",
                    served.url,
                ]
            )
            == 0
        )
        assert "created cli-mini  gpt-4o-mini-2024-07-18  standard  Succeeded" in capsys.readouterr().out
        assert main(["azure", "deployments", "--api-key", KEY, "--url", served.url]) == 0
        assert "1 deployment(s)" in capsys.readouterr().out
        with httpx.Client(base_url=served.url, params=API_VERSION, headers={"api-key": KEY}) as arm:
            assert arm.get(f"{ARM}/cli-mini").json()["properties"]["provisioningState"] == "Succeeded"
        assert main(["azure", "deploy", "nope", "--name", "x", "--api-key", KEY, "--url", served.url]) == 1
        assert "of account deployment is not supported" in capsys.readouterr().err
        assert main(["azure", "undeploy", "cli-mini", "--api-key", KEY, "--url", served.url]) == 0
        assert main(["azure", "bind", "acct", "--api-key", KEY, "--url", served.url, "--json"]) == 0
        out = capsys.readouterr().out
        assert "deleted cli-mini" in out and '"name": "acct"' in out
    finally:
        served.stop()


def test_one_azure_resources_snapshot_carries_its_deployments_only(tmp_path: Path) -> None:
    settings = Settings(seed=7, clock="virtual", host="127.0.0.1", port=0, data_dir=str(tmp_path / "data"))
    with EmulatorHandle(settings, mode="inprocess").start() as handle, handle.http_client() as http:

        def arm(key: str) -> dict[str, str]:
            return {"api-key": key}

        made = http.put(f"{ARM}/a", params=API_VERSION, headers=arm(KEY), json=model_body("gpt-4o-mini"))
        assert made.status_code == 201
        handle.deploy("gpt-4o", "other", api_key="azure-someone-else")
        saved = http.get(
            "/_emulator/snapshot", params={"organization": handle.state.organization(KEY, "azure").id}
        )
        assert saved.status_code == 200, saved.text
        assert http.delete(f"{ARM}/a", params=API_VERSION, headers=arm(KEY)).status_code == 200
        http.put(f"{ARM}/b", params=API_VERSION, headers=arm(KEY), json=model_body("gpt-4o-mini"))
        handle.deploy("gpt-4o-mini", "later", api_key="azure-someone-else")

        loaded = http.put("/_emulator/snapshot", content=saved.content)
        assert loaded.status_code == 200, loaded.text
        assert [d["name"] for d in http.get(ARM, params=API_VERSION, headers=arm(KEY)).json()["value"]] == [
            "a"
        ]
        assert [d["name"] for d in handle.deployments(api_key="azure-someone-else")] == ["other", "later"]
