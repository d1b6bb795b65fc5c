"""The ARM deployment routes through real HTTP: shapes, status codes, ARM errors, tenancy, the clock."""

from __future__ import annotations

import httpx

from emulator.domain.deployments import PROVISIONING_SECONDS
from emulator.domain.state import Emulator

from .conftest import ACCOUNT, API_VERSION, ARM, AZURE_KEY, ENTRA_TOKEN, model_body


def test_put_creates_with_201_then_updates_with_200_in_arm_shape(arm: httpx.Client) -> None:
    created = arm.put(f"{ARM}/mini", json=model_body("gpt-4o-mini", "2024-07-18"))
    assert created.status_code == 201
    body = created.json()
    assert body["id"] == f"{ARM}/mini"
    assert body["type"] == "Microsoft.CognitiveServices/accounts/deployments"
    assert body["name"] == "mini"
    assert body["sku"] == {"name": "Standard", "capacity": 1}
    assert body["properties"] == {
        "model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
        "provisioningState": "Creating",
    }
    assert body["systemData"]["createdAt"] == "2025-01-01T00:00:00.0000000Z"
    assert (
        len(created.headers["x-ms-request-id"]) == 36 and created.headers["x-ms-request-id"].count("-") == 4
    )
    updated = arm.put(f"{ARM}/mini", json=model_body("gpt-4o-mini", "2024-07-18", capacity=5))
    assert updated.status_code == 200
    assert updated.json()["sku"] == {"name": "Standard", "capacity": 5}
    assert updated.json()["systemData"]["createdAt"] == body["systemData"]["createdAt"]


def test_provisioning_state_moves_on_the_clock(arm: httpx.Client, emulator: Emulator) -> None:
    arm.put(f"{ARM}/mini", json=model_body("gpt-4o-mini"))
    assert arm.get(f"{ARM}/mini").json()["properties"]["provisioningState"] == "Creating"
    emulator.clock.advance(PROVISIONING_SECONDS)
    fetched = arm.get(f"{ARM}/mini")
    assert fetched.status_code == 200
    assert fetched.json()["properties"]["provisioningState"] == "Succeeded"
    assert fetched.json()["properties"]["model"]["version"] == "2024-07-18"  # the alias's default snapshot


def test_list_get_and_delete(arm: httpx.Client) -> None:
    arm.put(f"{ARM}/a", json=model_body("gpt-4o-mini"))
    arm.put(f"{ARM}/b", json=model_body("gpt-4o", "2024-08-06", sku="GlobalStandard"))
    listed = arm.get(ARM)
    assert listed.status_code == 200
    assert [d["name"] for d in listed.json()["value"]] == ["a", "b"]
    assert listed.json()["value"][1]["sku"]["name"] == "GlobalStandard"
    assert arm.delete(f"{ARM}/a").status_code == 200
    assert arm.delete(f"{ARM}/a").status_code == 204  # ARM: nothing left to delete
    missing = arm.get(f"{ARM}/a")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"code": "NotFound", "message": f"Specified resource '{ARM}/a' cannot be found."}
    }
    assert [d["name"] for d in arm.get(ARM).json()["value"]] == ["b"]


def test_arm_errors_use_the_arm_envelope(arm: httpx.Client) -> None:
    no_version = arm.get(ARM, params={"api-version": ""})
    assert no_version.status_code == 400
    assert no_version.json() == {
        "error": {
            "code": "MissingApiVersionParameter",
            "message": "The api-version query parameter (?api-version=) is required for all requests.",
        }
    }
    bad_version = arm.get(ARM, params={"api-version": "latest"})
    assert (
        bad_version.status_code == 400 and bad_version.json()["error"]["code"] == "InvalidApiVersionParameter"
    )
    old_version = arm.get(ARM, params={"api-version": "2017-04-18"})
    assert (
        old_version.status_code == 400 and old_version.json()["error"]["code"] == "NoRegisteredProviderFound"
    )
    unknown = arm.put(f"{ARM}/x", json=model_body("no-such-model", "1"))
    assert unknown.status_code == 400
    assert unknown.json() == {
        "error": {
            "code": "DeploymentModelNotSupported",
            "message": "The model 'Format:OpenAI,Name:no-such-model,Version:1' of account deployment is not "
            "supported.",
        }
    }
    dev_base = arm.put(f"{ARM}/x", json=model_body("gpt-4o-mini", "2024-07-18", sku="DeveloperTier"))
    assert dev_base.status_code == 400 and dev_base.json()["error"]["code"] == "InvalidResourceProperties"
    bad_sku = arm.put(f"{ARM}/x", json=model_body("gpt-4o-mini", sku="Premium"))
    assert bad_sku.status_code == 400 and bad_sku.json()["error"]["code"] == "InvalidResourceProperties"
    no_model = arm.put(f"{ARM}/x", json={"sku": {"name": "Standard", "capacity": 1}})
    assert no_model.status_code == 400 and no_model.json()["error"]["code"] == "InvalidResourceProperties"
    not_json = arm.put(f"{ARM}/x", content=b"{nope", headers={"content-type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "InvalidRequestContent"
    bad_capacity = arm.put(f"{ARM}/x", json=model_body("gpt-4o-mini", capacity=0))
    assert bad_capacity.status_code == 400 and bad_capacity.json()["error"]["code"] == "InvalidCapacity"
    assert arm.get(ARM).json() == {"value": []}


def test_entra_token_reaches_the_tenant_of_the_bound_account(server_url: str, control: httpx.Client) -> None:
    with httpx.Client(base_url=server_url, params=API_VERSION, timeout=30) as anonymous:
        missing = anonymous.get(ARM)
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "AuthenticationFailed"
        malformed = anonymous.get(ARM, headers={"Authorization": "Bearer not-a-jwt"})
        assert malformed.status_code == 401
        assert malformed.json() == {
            "error": {"code": "InvalidAuthenticationToken", "message": "The access token is invalid."}
        }
        entra = {"Authorization": f"Bearer {ENTRA_TOKEN}"}
        unbound = anonymous.get(ARM, headers=entra)
        assert unbound.status_code == 404 and unbound.json()["error"]["code"] == "ResourceNotFound"
        assert f"Microsoft.CognitiveServices/accounts/{ACCOUNT}" in unbound.json()["error"]["message"]

        bound = control.post("/_emulator/azure/accounts", json={"name": ACCOUNT, "api_key": AZURE_KEY})
        assert bound.status_code == 200 and bound.json()["name"] == ACCOUNT
        assert anonymous.put(f"{ARM}/mini", headers=entra, json=model_body("gpt-4o-mini")).status_code == 201
        # the same deployment is seen through the api-key of the bound resource
        by_key = anonymous.get(f"{ARM}/mini", headers={"api-key": AZURE_KEY})
        assert by_key.status_code == 200 and by_key.json()["name"] == "mini"
        # account names are case-insensitive in ARM
        upper = ARM.replace(ACCOUNT, ACCOUNT.upper())
        assert anonymous.get(upper, headers=entra).json()["value"][0]["name"] == "mini"


def test_resources_are_isolated_from_each_other_and_from_openai(arm: httpx.Client, server_url: str) -> None:
    arm.put(f"{ARM}/mini", json=model_body("gpt-4o-mini"))
    with httpx.Client(
        base_url=server_url, params=API_VERSION, headers={"api-key": "another-key-0000"}
    ) as other:
        assert other.get(ARM).json() == {"value": []}


def test_arm_calls_are_in_the_request_journal(arm: httpx.Client, control: httpx.Client) -> None:
    arm.put(f"{ARM}/mini", json=model_body("gpt-4o-mini"))
    entries = control.get("/_emulator/requests", params={"method": "PUT"}).json()["data"]
    assert [(e["path"], e["status"]) for e in entries] == [(f"{ARM}/mini", 201)]
    assert entries[0]["body"]["properties"]["model"]["name"] == "gpt-4o-mini"


def test_patch_changes_the_sku_and_keeps_the_model(arm: httpx.Client) -> None:
    arm.put(f"{ARM}/mini", json=model_body("gpt-4o-mini"))
    patched = arm.patch(f"{ARM}/mini", json={"sku": {"capacity": 10}})
    assert patched.status_code == 200
    assert patched.json()["sku"] == {"name": "Standard", "capacity": 10}
    assert patched.json()["properties"]["model"]["name"] == "gpt-4o-mini"
    moved = arm.patch(f"{ARM}/mini", json={"sku": {"name": "GlobalStandard"}})
    assert moved.json()["sku"] == {"name": "GlobalStandard", "capacity": 10}
    assert arm.patch(f"{ARM}/nope", json={"sku": {"capacity": 2}}).json()["error"]["code"] == "NotFound"
    assert arm.patch(f"{ARM}/mini", json={"sku": {"name": "DeveloperTier"}}).status_code == 400
