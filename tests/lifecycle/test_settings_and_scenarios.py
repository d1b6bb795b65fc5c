"""Where the policy comes from: settings (env, CLI, fixture marker), scenarios (library and YAML)."""

from __future__ import annotations

import httpx
import openai
import pytest

from emulator import Settings
from emulator.cli import _parser, serve_settings
from emulator.scenarios import ScenarioError, parse_yaml, scenario

from ..conftest import API_KEY
from .conftest import HI, TRAINING_NOT_AVAILABLE, deprecated, new_job, succeeded_model


def test_setting_accepts_the_two_policies_only() -> None:
    assert Settings.from_env(environ={"EMULATOR_LIFECYCLE": "openai"}).lifecycle == "openai"
    with pytest.raises(ValueError, match="lifecycle must be 'unrestricted' or 'openai'"):
        Settings(lifecycle="strict")


def test_serve_flag_sets_the_policy() -> None:
    args = _parser().parse_args(["serve", "--lifecycle", "openai"])
    assert serve_settings(args, environ={}).lifecycle == "openai"
    assert serve_settings(_parser().parse_args(["serve"]), environ={}).lifecycle == "unrestricted"


def _load(http: httpx.Client, name: str) -> None:
    response = http.post("/_emulator/scenarios", json={"name": name, "api_key": API_KEY})
    assert response.status_code == 200, response.text


def test_real_calendar_scenario_enforces_the_dates(client: openai.OpenAI, http: httpx.Client) -> None:
    assert client.chat.completions.create(model="gpt-3.5-turbo-0613", messages=HI).choices
    _load(http, "real_calendar")
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-3.5-turbo-0613", messages=HI)
    assert info.value.body == deprecated("gpt-3.5-turbo-0613")
    assert http.get("/_emulator/lifecycle").json()["policy"] == "openai"


def test_fine_tuning_refused_scenario_blocks_this_tenant_only(
    client: openai.OpenAI, other_client: openai.OpenAI, http: httpx.Client
) -> None:
    _load(http, "fine_tuning_refused")
    with pytest.raises(openai.PermissionDeniedError) as info:
        new_job(client)
    assert info.value.body == TRAINING_NOT_AVAILABLE
    assert new_job(other_client).status == "validating_files"


def test_base_models_shut_down_scenario_stops_fine_tuned_models(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    model = succeeded_model(client, http)
    _load(http, "base_models_shut_down")
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model=model, messages=HI)
    assert info.value.body == deprecated(model)
    with pytest.raises(openai.BadRequestError) as refused:
        new_job(client, "gpt-3.5-turbo")
    assert refused.value.code == "model_not_available"
    assert client.chat.completions.create(model="gpt-5.5", messages=HI).choices


def test_control_override_wins_over_the_tenants_scenario(client: openai.OpenAI, http: httpx.Client) -> None:
    _load(http, "fine_tuning_refused")
    http.post("/_emulator/lifecycle", json={"access": "allowed"})
    assert new_job(client).status == "validating_files"


def test_lifecycle_section_is_validated() -> None:
    scenario = parse_yaml(
        "name: s\nlifecycle:\n  policy: openai\n  shutdown_dates:\n    gpt-4o: 2026-01-02\n"
    )
    assert scenario.lifecycle is not None
    assert scenario.lifecycle.shutdown_dates == (("gpt-4o", "2026-01-02"),)
    assert scenario.to_dict()["lifecycle"] == {"policy": "openai", "shutdown_dates": {"gpt-4o": "2026-01-02"}}
    with pytest.raises(ScenarioError, match=r"lifecycle\.policy"):
        parse_yaml("name: s\nlifecycle:\n  policy: strict\n")
    with pytest.raises(ScenarioError, match=r"lifecycle\.access"):
        parse_yaml("name: s\nlifecycle:\n  access: maybe\n")
    with pytest.raises(ScenarioError, match=r"lifecycle\.shutdown_dates"):
        parse_yaml("name: s\nlifecycle:\n  shutdown_dates:\n    gpt-4o: soon\n")
    with pytest.raises(ScenarioError, match="unknown key 'policies'"):
        parse_yaml("name: s\nlifecycle:\n  policies: openai\n")


def test_in_band_scenario_header_applies_the_calendar_to_one_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(
            model="gpt-3.5-turbo-0613", messages=HI, extra_headers={"X-Emulator-Scenario": "real_calendar"}
        )
    assert info.value.body == deprecated("gpt-3.5-turbo-0613")
    assert client.chat.completions.create(model="gpt-3.5-turbo-0613", messages=HI).choices


def test_builder_sets_the_lifecycle() -> None:
    built = scenario("lost-access").lifecycle("openai", "blocked", {"gpt-4o": "2026-01-01"}).build()
    assert built.lifecycle is not None
    assert (built.lifecycle.policy, built.lifecycle.access) == ("openai", "blocked")
    assert built.lifecycle.shutdown_dates == (("gpt-4o", "2026-01-01"),)
