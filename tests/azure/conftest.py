"""Shared pieces of the Azure dialect tests: training data, both API styles, a deployment maker."""

from __future__ import annotations

import json

import pytest

from emulator.domain.state import Tenant
from emulator.testing import EmulatorHandle

LINE = json.dumps({"messages": [{"role": "user", "content": "Capital of France?"},
                                {"role": "assistant", "content": "Paris, obviously."}]})
TRAINING = ((LINE + "\n") * 12).encode()
BASE = "gpt-4o-mini-2024-07-18"
DATED = "2024-10-21"
STYLES = [DATED, "v1"]  # the dated API and the GA v1 API


@pytest.fixture(params=STYLES)
def api_version(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def azure_tenant(handle: EmulatorHandle, key: str | None = None) -> Tenant:
    return handle.state.tenant(key or handle.api_key, "azure")


def deploy(
    handle: EmulatorHandle, name: str, model: str, *, sku: str = "standard", ready: bool = True
) -> None:
    """A deployment in the handle's Azure resource (through the deployments domain), provisioned unless
    `ready` is False."""
    azure_tenant(handle).deployments.put(name, model=model, version=None, sku=sku, capacity=1,
                                         now=handle.now())
    if ready:
        handle.advance("2m")
