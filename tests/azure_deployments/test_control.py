"""The /_emulator/azure shortcuts, the `deployments` fixture kind, the handle's helpers, and the deployment
clock rules seen through HTTP on the virtual clock."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from emulator import Settings
from emulator.domain.state import Emulator
from emulator.testing import ControlError, EmulatorHandle

from .conftest import ARM, AZURE_KEY, model_body

LINE = json.dumps(
    {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
)
TRAINED = f"""
tenants:
  - api_key: {AZURE_KEY}
    dialect: azure
    files:
      - id: file-aztrain0001
        filename: train.jsonl
        purpose: fine-tune
        content: |
{chr(10).join("          " + LINE for _ in range(12))}
    jobs:
      - id: ftjob-azdone0001
        model: gpt-4o-mini-2024-07-18
        training_file: file-aztrain0001
        status: succeeded
"""


def fine_tuned_model(control: httpx.Client, emulator: Emulator) -> str:
    """Train a model in the Azure resource of AZURE_KEY (a fixture with a succeeded job); its id."""
    loaded = control.post(
        "/_emulator/fixtures", content=TRAINED.encode(), headers={"content-type": "application/yaml"}
    )
    assert loaded.status_code == 200, loaded.text
    tenant = emulator.tenant(AZURE_KEY, "azure")
    (model,) = [m.id for m in tenant.models]
    return model


def test_shortcut_deploys_ready_at_once_and_arm_sees_it(control: httpx.Client, arm: httpx.Client) -> None:
    made = control.post(
        "/_emulator/azure/deployments", json={"api_key": AZURE_KEY, "name": "mini", "model": "gpt-4o-mini"}
    )
    assert made.status_code == 201
    assert (
        made.json()["provisioning_state"] == "Succeeded" and made.json()["model"] == "gpt-4o-mini-2024-07-18"
    )
    assert made.json()["deleted_at"] is None  # base-model deployments are not idle-deleted
    assert arm.get(f"{ARM}/mini").json()["properties"]["provisioningState"] == "Succeeded"
    listed = control.get("/_emulator/azure/deployments", params={"api_key": AZURE_KEY}).json()
    assert [d["name"] for d in listed["data"]] == ["mini"]
    assert control.delete("/_emulator/azure/deployments/mini", params={"api_key": AZURE_KEY}).json()[
        "deleted"
    ]
    missing = control.delete("/_emulator/azure/deployments/mini", params={"api_key": AZURE_KEY})
    assert missing.status_code == 404
    assert arm.get(ARM).json() == {"value": []}


def test_shortcut_errors(control: httpx.Client) -> None:
    no_scope = control.post("/_emulator/azure/deployments", json={"name": "x", "model": "gpt-4o-mini"})
    assert no_scope.status_code == 400 and no_scope.json()["error"]["param"] == "api_key"
    unknown = control.post(
        "/_emulator/azure/deployments", json={"api_key": AZURE_KEY, "name": "x", "model": "gpt-9"}
    )
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "DeploymentModelNotSupported"
    unbound = control.get("/_emulator/azure/deployments", params={"account": "nobody"})
    assert unbound.status_code == 404 and unbound.json()["error"]["param"] == "account"


def test_developer_tier_deployment_of_a_fine_tuned_model_expires_after_24_hours(
    control: httpx.Client, arm: httpx.Client, emulator: Emulator
) -> None:
    model = fine_tuned_model(control, emulator)
    created = arm.put(f"{ARM}/candidate", json=model_body(model, "1", sku="DeveloperTier", capacity=50))
    assert created.status_code == 201
    assert created.json()["properties"]["model"] == {"format": "OpenAI", "name": model, "version": "1"}
    emulator.clock.advance(23 * 3600)
    assert arm.get(f"{ARM}/candidate").json()["properties"]["provisioningState"] == "Succeeded"
    emulator.clock.advance(3600)
    assert arm.get(f"{ARM}/candidate").status_code == 404
    assert arm.get(ARM).json() == {"value": []}
    # the model stays: it can be deployed again
    assert arm.put(f"{ARM}/candidate", json=model_body(model, "1", sku="Standard")).status_code == 201


def test_an_idle_fine_tuned_deployment_is_deleted_after_15_days(
    control: httpx.Client, arm: httpx.Client, emulator: Emulator
) -> None:
    model = fine_tuned_model(control, emulator)
    made = control.post(
        "/_emulator/azure/deployments",
        json={"api_key": AZURE_KEY, "name": "ft", "model": model, "sku": "globalstandard"},
    )
    assert made.json()["deleted_at"] == made.json()["created_at"] + 15 * 86400
    emulator.clock.advance(15 * 86400 - 1)
    assert [d["name"] for d in arm.get(ARM).json()["value"]] == ["ft"]
    emulator.clock.advance(1)
    assert arm.get(ARM).json() == {"value": []}
    assert control.get("/_emulator/azure/deployments", params={"api_key": AZURE_KEY}).json()["data"] == []
    assert model in [m.id for m in emulator.tenant(AZURE_KEY, "azure").models]


def test_fixture_deployments_need_an_azure_tenant_and_a_known_model(
    control: httpx.Client, arm: httpx.Client
) -> None:
    fixture = f"""
tenants:
  - api_key: {AZURE_KEY}
    dialect: azure
    deployments:
      - name: from-fixture
        model: gpt-4o-mini
        sku: globalstandard
"""
    loaded = control.post(
        "/_emulator/fixtures", content=fixture.encode(), headers={"content-type": "application/yaml"}
    )
    assert loaded.status_code == 200, loaded.text
    fetched = arm.get(f"{ARM}/from-fixture").json()
    assert (
        fetched["sku"]["name"] == "GlobalStandard"
        and fetched["properties"]["provisioningState"] == "Succeeded"
    )
    openai_tenant = "tenants:\n  - api_key: sk-x\n    deployments:\n      - {name: d, model: gpt-4o-mini}\n"
    refused = control.post(
        "/_emulator/fixtures", content=openai_tenant.encode(), headers={"content-type": "application/yaml"}
    )
    assert refused.status_code == 400 and "dialect: azure" in refused.text
    bad_model = fixture.replace("gpt-4o-mini", "gpt-9000").replace("from-fixture", "second")
    refused = control.post(
        "/_emulator/fixtures", content=bad_model.encode(), headers={"content-type": "application/yaml"}
    )
    assert refused.status_code == 400 and "not supported" in refused.text
    assert [d["name"] for d in arm.get(ARM).json()["value"]] == ["from-fixture"]


@pytest.fixture
def handle() -> Iterator[EmulatorHandle]:
    with EmulatorHandle(Settings(host="127.0.0.1", port=0)) as started:
        yield started.start()


def test_handle_helpers(handle: EmulatorHandle) -> None:
    made = handle.deploy("gpt-4o-mini", "mini", sku="globalstandard")
    assert (made["name"], made["sku"], made["provisioning_state"]) == ("mini", "globalstandard", "Succeeded")
    pending = handle.deploy("gpt-4o", "slow", provision=True)
    assert pending["provisioning_state"] == "Creating"
    handle.advance("1m")
    assert [(d["name"], d["provisioning_state"]) for d in handle.deployments()] == [
        ("mini", "Succeeded"),
        ("slow", "Succeeded"),
    ]
    handle.bind_azure_account("acct")
    arm = ARM.replace("my-aoai", "acct")
    token = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.c2ln"
    with handle.http_client(headers={"Authorization": f"Bearer {token}"}) as http:
        listed = http.get(arm, params={"api-version": "2025-07-01-preview"}).json()
    assert [d["name"] for d in listed["value"]] == ["mini", "slow"]
    handle.undeploy("mini")
    assert [d["name"] for d in handle.deployments()] == ["slow"]
    with pytest.raises(ControlError) as caught:
        handle.undeploy("mini")
    assert caught.value.status == 404
    with pytest.raises(ControlError):
        handle.deploy("gpt-4o-mini", "dev", sku="developertier")
