"""The deployment clock rules on a virtual clock: provisioning, developer-tier expiry, idle deletion."""

from __future__ import annotations

import pytest

from emulator.clock import VirtualClock
from emulator.domain.deployments import (
    DEVELOPER_TIER_LIFETIME,
    IDLE_LIMIT,
    PROVISIONING_SECONDS,
    DeploymentNotFound,
    Deployments,
)
from emulator.domain.models import ModelRecord
from emulator.errors import InvalidRequestError

FT = "gpt-4o-mini-2024-07-18.ft-0123456789abcdef0123456789abcdef"


def registry() -> Deployments:
    record = ModelRecord(FT, 0, "org", "gpt-4o-mini-2024-07-18")
    return Deployments(lambda name: record if name == FT else None)


def test_creating_then_succeeded_and_routing_waits_for_it() -> None:
    clock, deployments = VirtualClock(1000.0), registry()
    deployment, created = deployments.put(
        "ft", model=FT, version="1", sku="standard", capacity=1, now=clock.now()
    )
    assert created and deployment.state(clock.now()) == "Creating"
    with pytest.raises(DeploymentNotFound) as caught:
        deployments.route("ft", clock.now())
    assert caught.value.status_code == 404 and caught.value.code == "DeploymentNotFound"
    assert "within the last 5 minutes" in caught.value.message
    clock.advance(PROVISIONING_SECONDS)
    assert deployments.route("ft", clock.now()).model == FT
    assert deployment.state(clock.now()) == "Succeeded"


def test_developer_tier_expires_after_24_hours_even_when_used() -> None:
    clock, deployments = VirtualClock(0.0), registry()
    deployments.put("dev", model=FT, version=None, sku="DeveloperTier", capacity=50, now=clock.now())
    clock.advance(DEVELOPER_TIER_LIFETIME - 1)
    assert deployments.route("dev", clock.now()).sku == "developertier"
    clock.advance(1)
    assert deployments.get("dev", clock.now()) is None
    with pytest.raises(DeploymentNotFound):
        deployments.route("dev", clock.now())
    assert deployments.list(clock.now()) == []


def test_idle_fine_tuned_deployment_is_deleted_after_15_days_and_calls_reset_the_timer() -> None:
    clock, deployments = VirtualClock(0.0), registry()
    deployments.put("ft", model=FT, version="1", sku="standard", capacity=1, now=clock.now())
    clock.advance(10 * 86400)
    deployments.route("ft", clock.now())  # a call: 15 more days from now
    clock.advance(IDLE_LIMIT - 1)
    assert deployments.get("ft", clock.now()) is not None
    clock.advance(1)
    assert deployments.get("ft", clock.now()) is None


def test_idle_rule_counts_from_creation_when_never_called() -> None:
    clock, deployments = VirtualClock(0.0), registry()
    deployments.put("ft", model=FT, version="1", sku="globalstandard", capacity=1, now=clock.now())
    clock.advance(IDLE_LIMIT)
    assert deployments.list(clock.now()) == []


def test_base_model_deployment_is_not_idle_deleted() -> None:
    clock, deployments = VirtualClock(0.0), registry()
    deployment, _ = deployments.put(
        "mini", model="gpt-4o-mini", version="2024-07-18", sku="standard", capacity=1, now=clock.now()
    )
    assert (deployment.model, deployment.model_name, deployment.model_version) == (
        "gpt-4o-mini-2024-07-18",
        "gpt-4o-mini",
        "2024-07-18",
    )
    clock.advance(IDLE_LIMIT * 3)
    assert deployments.route("mini", clock.now()).name == "mini"


def test_update_keeps_creation_time_and_reports_not_created() -> None:
    clock, deployments = VirtualClock(0.0), registry()
    deployments.put("ft", model=FT, version="1", sku="standard", capacity=1, now=clock.now())
    clock.advance(120)
    updated, created = deployments.put(
        "ft", model=FT, version="1", sku="standard", capacity=5, now=clock.now()
    )
    assert not created and updated.capacity == 5 and updated.created_at == 0.0 and updated.updated_at == 120


def test_unknown_model_wrong_version_and_unsupported_sku_get_azure_errors() -> None:
    deployments = registry()
    with pytest.raises(InvalidRequestError) as unknown:
        deployments.put("x", model="no-such-model", version="1", sku="standard", capacity=1, now=0)
    assert unknown.value.code == "DeploymentModelNotSupported"
    assert unknown.value.message == (
        "The model 'Format:OpenAI,Name:no-such-model,Version:1' of account deployment is not supported."
    )
    with pytest.raises(InvalidRequestError) as version:
        deployments.put("x", model="gpt-4o-mini", version="1999-01-01", sku="standard", capacity=1, now=0)
    assert version.value.code == "DeploymentModelNotSupported"
    with pytest.raises(InvalidRequestError) as sku:
        deployments.put(
            "x", model="gpt-4o-mini", version="2024-07-18", sku="developertier", capacity=1, now=0
        )
    assert sku.value.code == "InvalidResourceProperties"
    assert sku.value.message == (
        "The specified SKU 'developertier' of account deployment is not supported "
        "by the model 'gpt-4o-mini' version: '2024-07-18'."
    )
    assert deployments.list(0) == []


def test_delete_removes_only_the_deployment() -> None:
    deployments = registry()
    deployments.put("ft", model=FT, version="1", sku="standard", capacity=1, now=0)
    assert deployments.delete("ft", 1) is not None
    assert deployments.delete("ft", 1) is None
    assert deployments.get("ft", 1) is None


def test_malformed_name_is_refused() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        registry().put("bad name!", model=FT, version="1", sku="standard", capacity=1, now=0)
    assert caught.value.code == "InvalidResourceName"
