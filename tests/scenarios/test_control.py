"""The /_emulator/scenarios control API and scenarios from Settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emulator import EmulatorServer, Settings
from emulator.domain.state import Emulator
from emulator.scenarios import ScenarioError

from ..conftest import API_KEY

FLAKY = (
    "name: flaky\nrules:\n  - match: {path: /v1/models}\n    times: 1\n    respond: {error: server_error}\n"
)


@pytest.fixture
def control(server: EmulatorServer, emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url + "/_emulator") as raw:
        yield raw


@pytest.fixture
def api(server: EmulatorServer, emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {API_KEY}"}) as raw:
        yield raw


def test_load_yaml_text_then_list_and_fire(control: httpx.Client, api: httpx.Client) -> None:
    loaded = control.post("/scenarios", content=FLAKY, headers={"content-type": "application/yaml"})
    assert loaded.status_code == 200 and loaded.json()["scope"] == "global"
    assert api.get("/models").status_code == 500
    assert api.get("/models").status_code == 200
    (listed,) = control.get("/scenarios").json()["data"]
    assert listed["name"] == "flaky" and listed["rules"] == [{"name": "rules[0]", "matched": 1, "fired": 1}]


def test_load_json_object_or_library_name(control: httpx.Client, emulator: Emulator) -> None:
    assert (
        control.post(
            "/scenarios", json={"scenario": {"name": "j", "rules": [{"fault": "reset"}]}}
        ).status_code
        == 200
    )
    assert (
        control.post("/scenarios", json={"name": "rate_limited"}).json()["rate_limits"]["requests_per_minute"]
        == 3
    )
    assert control.post("/scenarios", json={"yaml": FLAKY}).status_code == 200
    assert sorted(d["name"] for d in emulator.scenarios.describe()) == ["flaky", "j", "rate_limited"]


def test_per_tenant_scenarios_leave_other_tenants_alone(
    control: httpx.Client, api: httpx.Client, server: EmulatorServer
) -> None:
    assert (
        control.post("/scenarios", json={"yaml": FLAKY, "api_key": "sk-someone-else"})
        .json()["scope"]
        .startswith("org-")
    )
    assert api.get("/models").status_code == 200
    with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer sk-someone-else"}) as other:
        assert other.get("/models").status_code == 500
    assert control.get("/scenarios", params={"api_key": API_KEY}).json()["data"] == []
    assert len(control.get("/scenarios", params={"api_key": "sk-someone-else"}).json()["data"]) == 1


def test_invalid_scenarios_are_400_with_the_key_path(control: httpx.Client) -> None:
    bad = control.post(
        "/scenarios", json={"yaml": "name: b\nrules:\n  - fault: {truncate_stream: {after_chunk: 2}}\n"}
    )
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert (error["code"], error["param"], error["type"]) == (
        "invalid_scenario",
        "rules[0].fault.truncate_stream.after_chunk",
        "invalid_request_error",
    )
    assert error["message"].startswith("<yaml>:3: rules[0].fault.truncate_stream.after_chunk: unknown key")
    assert control.post("/scenarios", json={"name": "nope"}).status_code == 400
    assert control.post("/scenarios", json={"yaml": FLAKY, "name": "x"}).status_code == 400


def test_check_validates_without_loading(control: httpx.Client, emulator: Emulator) -> None:
    assert control.post("/scenarios/check", json={"yaml": FLAKY}).json() == {"valid": True, "name": "flaky"}
    problem = control.post("/scenarios/check", content="name: b\nrules:\n  - delay: soon\n").json()
    assert problem["valid"] is False and problem["path"] == "rules[0].delay"
    assert emulator.scenarios.describe() == []


def test_unload_one_and_clear_all(control: httpx.Client, emulator: Emulator) -> None:
    control.post("/scenarios", json={"yaml": FLAKY})
    control.post("/scenarios", json={"name": "outage"})
    assert control.delete("/scenarios/flaky").json() == {"name": "flaky", "deleted": True}
    assert control.delete("/scenarios/flaky").status_code == 404
    assert control.delete("/scenarios").json() == {"cleared": "all"}
    assert emulator.scenarios.describe() == []


def test_library_listing(control: httpx.Client) -> None:
    names = {entry["name"]: entry for entry in control.get("/scenarios/library").json()["data"]}
    assert {"flaky_network", "commit_then_drop", "truncated_streams"} <= set(names)
    assert names["outage"]["description"].startswith("A 10-minute outage")


def test_settings_scenarios_load_at_startup_and_survive_reset(tmp_path: Path) -> None:
    file = tmp_path / "boot.yaml"
    file.write_text(FLAKY)
    em = Emulator(Settings(scenarios=(str(file), "outage")))
    assert [d["origin"] for d in em.scenarios.describe()] == ["settings", "settings"]
    em.scenarios.load(em.scenarios.find("quota_exhausted"))
    em.reset()
    assert sorted(d["name"] for d in em.scenarios.describe()) == ["flaky", "outage"]
    file.write_text("name: flaky\nrules:\n  - fault: nope\n")
    with pytest.raises(ScenarioError) as info:
        Emulator(Settings(scenarios=(str(file),)))
    assert info.value.line == 3


def test_settings_scenarios_from_the_environment() -> None:
    settings = Settings.from_env(
        environ={"EMULATOR_SCENARIOS": "flaky_network,outage", "EMULATOR_MAX_ACTIVE_JOBS": "3"}
    )
    assert settings.scenarios == ("flaky_network", "outage") and settings.max_active_jobs == 3
