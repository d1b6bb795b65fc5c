"""Policy `unrestricted` (the default): today's behaviour, plus a warning where the real service refuses."""

from __future__ import annotations

import logging

import httpx
import openai
import pytest

from emulator.api.lifecycle import WARNING_HEADER
from emulator.domain.state import Emulator

from ..jobs.conftest import chat_file, upload
from .conftest import HI, at, lifecycle, succeeded_model


def test_default_policy_is_unrestricted(http: httpx.Client) -> None:
    state = http.get("/_emulator/lifecycle").json()
    assert (state["default_policy"], state["policy"]) == ("unrestricted", "unrestricted")


def test_launch_post_workflow_runs_without_warnings(client: openai.OpenAI, http: httpx.Client) -> None:
    """The 2023 launch post's gpt-3.5-turbo job still trains gpt-3.5-turbo-0613, as it always did here."""
    raw = client.fine_tuning.jobs.with_raw_response.create(
        model="gpt-3.5-turbo", training_file=upload(client, chat_file(12))
    )
    assert raw.parse().model == "gpt-3.5-turbo-0613"
    assert WARNING_HEADER not in raw.headers  # the real service would train 0125 instead: no failure


def test_shut_down_model_is_served_with_a_warning_and_one_log_line(
    client: openai.OpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="emulator.lifecycle"):
        raw = client.chat.completions.with_raw_response.create(model="gpt-3.5-turbo-0613", messages=HI)
    assert raw.parse().model == "gpt-3.5-turbo-0613"
    assert raw.headers[WARNING_HEADER] == (
        "gpt-3.5-turbo-0613 shut down on 2024-09-13; OpenAI would answer 404 model_not_found (lifecycle "
        "policy 'openai'), served because the policy is 'unrestricted'"
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "emulator.lifecycle"]
    assert lines == [f"POST /v1/chat/completions: {raw.headers[WARNING_HEADER]}"]


def test_the_journal_records_the_warning(client: openai.OpenAI, http: httpx.Client) -> None:
    client.chat.completions.create(model="gpt-3.5-turbo-0613", messages=HI)
    client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    entries = http.get("/_emulator/requests", params={"path": "/v1/chat/completions"}).json()["data"]
    assert [e["extra"].get("lifecycle_warning", "")[:38] for e in entries] == [
        "gpt-3.5-turbo-0613 shut down on 2024-0",
        "",
    ]


def test_live_model_has_no_warning(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HI)
    assert WARNING_HEADER not in raw.headers


def test_job_creation_past_the_wind_down_succeeds_with_a_warning(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    at(http, "2027-02-01")
    raw = client.fine_tuning.jobs.with_raw_response.create(
        model="gpt-4.1", training_file=upload(client, chat_file(12))
    )
    assert raw.parse().status == "validating_files"
    assert raw.headers[WARNING_HEADER].startswith(
        "Fine-tuning job refused on the real calendar: no organization may create fine-tuning jobs from "
        "2027-01-06; OpenAI would answer 403 training_not_available"
    )
    assert (
        "gpt-4.1-2025-04-14 shut down on 2027-01-14, so it cannot be fine-tuned"
        in raw.headers[WARNING_HEADER]
    )


def test_fine_tuned_model_past_its_base_is_served_with_a_warning(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    model = succeeded_model(client, http, "gpt-4o-mini")
    at(http, "2027-01-14")
    raw = client.chat.completions.with_raw_response.create(model=model, messages=HI)
    assert raw.parse().model == model
    assert raw.headers[WARNING_HEADER].startswith(
        f"{model} (fine-tuned from gpt-4o-mini-2024-07-18) shut down on 2027-01-14"
    )
    assert model in {m.id for m in client.models.list()}  # still listed, with its date
    assert client.models.retrieve(model).shutdown_date == "2027-01-14"


def test_retrieving_a_shut_down_model_warns(client: openai.OpenAI) -> None:
    raw = client.models.with_raw_response.retrieve("gpt-4-32k")
    assert raw.parse().shutdown_date == "2025-06-06"
    assert WARNING_HEADER not in raw.headers  # 2025-01-01: not yet
    raw = client.models.with_raw_response.retrieve("gpt-3.5-turbo-16k-0613")
    assert raw.headers[WARNING_HEADER].startswith("gpt-3.5-turbo-16k-0613 shut down on 2024-09-13")


def test_emulator_wide_policy_applies_to_every_tenant(
    client: openai.OpenAI, other_client: openai.OpenAI, emulator: Emulator
) -> None:
    with httpx.Client(base_url=emulator_url(client)) as control:  # no bearer: the emulator-wide layer
        assert control.post("/_emulator/lifecycle", json={"policy": "openai"}).json()["policy"] == "openai"
    for sdk in (client, other_client):
        with pytest.raises(openai.NotFoundError):
            sdk.chat.completions.create(model="gpt-3.5-turbo-0613", messages=HI)
    emulator.reset()  # a full reset forgets the emulator-wide overrides too
    assert client.chat.completions.create(model="gpt-3.5-turbo-0613", messages=HI).choices


def test_tenant_override_wins_over_the_emulator_wide_one(client: openai.OpenAI, http: httpx.Client) -> None:
    with httpx.Client(base_url=emulator_url(client)) as control:
        control.post("/_emulator/lifecycle", json={"policy": "openai"})
    lifecycle(http, policy="unrestricted")
    assert client.chat.completions.create(model="gpt-3.5-turbo-0613", messages=HI).choices


def emulator_url(client: openai.OpenAI) -> str:
    return str(client.base_url).removesuffix("/v1/").removesuffix("/v1")
