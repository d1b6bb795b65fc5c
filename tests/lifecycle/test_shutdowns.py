"""Policy `openai`: models stop on their shutdown dates, fine-tuned models with their base; overrides."""

from __future__ import annotations

import httpx
import openai
import pytest

from .conftest import HI, at, deprecated, lifecycle, new_job, succeeded_model


@pytest.fixture(autouse=True)
def real_calendar(http: httpx.Client) -> None:
    lifecycle(http, policy="openai")


def test_base_model_answers_the_day_before_and_is_deprecated_on_its_date(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    at(http, "2026-10-22", hour=23.99)
    assert client.chat.completions.create(model="gpt-4.1-nano-2025-04-14", messages=HI).choices
    at(http, "2026-10-23", hour=0)
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-4.1-nano-2025-04-14", messages=HI)
    assert info.value.body == deprecated("gpt-4.1-nano-2025-04-14")
    with pytest.raises(openai.NotFoundError) as alias:
        client.chat.completions.create(model="gpt-4.1-nano", messages=HI)
    assert alias.value.body == deprecated("gpt-4.1-nano")


def test_shut_down_models_leave_the_list_and_retrieve_is_404(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    at(http, "2026-09-27")
    assert "davinci-002" in {m.id for m in client.models.list()}
    at(http, "2026-09-28")
    listed = {m.id for m in client.models.list()}
    assert "davinci-002" not in listed and "gpt-4o-mini-2024-07-18" in listed
    with pytest.raises(openai.NotFoundError) as info:
        client.models.retrieve("davinci-002")
    assert info.value.body == deprecated("davinci-002")


def test_legacy_completions_model_is_deprecated_on_its_date(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    at(http, "2026-09-27")
    assert client.completions.create(model="babbage-002", prompt="Say hi").choices
    at(http, "2026-09-29")
    with pytest.raises(openai.NotFoundError) as info:
        client.completions.create(model="babbage-002", prompt="Say hi")
    assert info.value.body == deprecated("babbage-002")


def test_fine_tuned_model_follows_its_base(client: openai.OpenAI, http: httpx.Client) -> None:
    model = succeeded_model(client, http, "gpt-4o-mini")
    assert client.models.retrieve(model).shutdown_date == "2027-01-14"
    at(http, "2027-01-13")
    assert client.chat.completions.create(model=model, messages=HI).model == model
    at(http, "2027-01-14")
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model=model, messages=HI)
    assert info.value.body == deprecated(model)
    assert model not in {m.id for m in client.models.list()}


def test_fine_tunes_of_gpt_3_5_turbo_0613_outlive_their_base(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    # OpenAI's 2023-11-06 notice: fine-tunes of 0613 were not affected by its 2024-09-13 shutdown.
    lifecycle(http, policy="unrestricted")
    model = succeeded_model(client, http, "gpt-3.5-turbo-0613")
    lifecycle(http, policy="openai")
    assert client.models.retrieve(model).shutdown_date == "2026-10-23"
    assert client.chat.completions.create(model=model, messages=HI).model == model
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-3.5-turbo-0613", messages=HI)


def test_fine_tuning_a_shut_down_base_is_refused(client: openai.OpenAI, http: httpx.Client) -> None:
    lifecycle(http, access="allowed")
    at(http, "2026-10-22")
    assert new_job(client, "gpt-4.1-nano").model == "gpt-4.1-nano-2025-04-14"
    at(http, "2026-10-23")
    with pytest.raises(openai.BadRequestError) as info:
        new_job(client, "gpt-4.1-nano")
    assert info.value.body == {
        "message": "Model gpt-4.1-nano is not available for fine-tuning or does not exist.",
        "type": "invalid_request_error",
        "param": None,
        "code": "model_not_available",
    }


def test_the_gpt_3_5_turbo_alias_trains_the_snapshot_still_alive(client: openai.OpenAI) -> None:
    # 2025-01-01: 0613 shut down in 2024, so OpenAI trained the alias on 0125.
    assert new_job(client, "gpt-3.5-turbo").model == "gpt-3.5-turbo-0125"


# -- overrides ------------------------------------------------------------------------------------------


def test_override_blocks_access_whatever_the_history(client: openai.OpenAI, http: httpx.Client) -> None:
    new_job(client)
    state = lifecycle(http, access="blocked")
    assert (state["access"], state["can_create_jobs"]) == ("blocked", False)
    with pytest.raises(openai.PermissionDeniedError):
        new_job(client)
    lifecycle(http, access=None)  # back to the tenant's history
    assert new_job(client).status == "validating_files"


def test_override_allows_an_org_that_never_fine_tuned(client: openai.OpenAI, http: httpx.Client) -> None:
    at(http, "2026-12-02")
    lifecycle(http, access="allowed")
    assert new_job(client, "gpt-4.1-mini").status == "validating_files"


def test_override_moves_a_shutdown_date_for_base_and_fine_tunes(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    model = succeeded_model(client, http, "gpt-4o-mini")
    lifecycle(http, shutdown_dates={"gpt-4o-mini-2024-07-18": "2025-01-02"})
    assert client.models.retrieve("gpt-4o-mini-2024-07-18").shutdown_date == "2025-01-02"
    assert client.models.retrieve(model).shutdown_date == "2025-01-02"
    assert client.chat.completions.create(model=model, messages=HI).model == model
    at(http, "2025-01-02")
    for name in (model, "gpt-4o-mini-2024-07-18", "gpt-4o-mini"):
        with pytest.raises(openai.NotFoundError) as info:
            client.chat.completions.create(model=name, messages=HI)
        assert info.value.body == deprecated(name)


def test_override_adds_a_date_to_a_model_without_one(client: openai.OpenAI, http: httpx.Client) -> None:
    lifecycle(http, shutdown_dates={"gpt-5.5": "2025-01-01"})
    assert "gpt-5.5" not in {m.id for m in client.models.list()}
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-5.5", messages=HI)
    lifecycle(http, shutdown_dates={"gpt-5.5": None})
    assert client.models.retrieve("gpt-5.5").shutdown_date is None


def test_overrides_are_per_tenant(
    client: openai.OpenAI, other_client: openai.OpenAI, http: httpx.Client
) -> None:
    lifecycle(http, shutdown_dates={"gpt-5.5": "2025-01-01"})
    assert client.models.list() and "gpt-5.5" not in {m.id for m in client.models.list()}
    assert other_client.models.retrieve("gpt-5.5").shutdown_date is None  # unrestricted, no override


def test_bad_override_is_a_400(http: httpx.Client) -> None:
    response = http.post("/_emulator/lifecycle", json={"shutdown_dates": {"gpt-5.5": "soon"}})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "shutdown_dates"
    bad_policy = http.post("/_emulator/lifecycle", json={"policy": "strict"})
    assert bad_policy.status_code == 400 and bad_policy.json()["error"]["param"] == "policy"


def test_delete_clears_the_tenants_overrides(client: openai.OpenAI, http: httpx.Client) -> None:
    lifecycle(http, access="blocked")
    cleared = http.delete("/_emulator/lifecycle").json()
    assert cleared["overrides"] == {"policy": None, "access": None, "shutdown_dates": {}}
    assert cleared["policy"] == "unrestricted"
