"""Shared pieces of the Azure dialect tests: training data, both API styles, a deployment maker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from emulator.contract.azure import load_azure
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


class AzureContractLog:
    """Every Azure answer a test's clients see, checked against Azure's published v1 data-plane contract
    (the excerpt shipped in emulator/contract/azure_v1.json); the test fails on any violation."""

    def __init__(self) -> None:
        self.contract = load_azure()
        self.violations: list[str] = []
        self.schemas: set[str] = set()  # the contract's schemas answers were checked against

    def sync_hook(self, response: httpx2.Response) -> None:
        if response.request.url.path.startswith("/openai/"):
            response.read()
            self._check(response)

    async def async_hook(self, response: httpx2.Response) -> None:
        if response.request.url.path.startswith("/openai/"):
            await response.aread()
            self._check(response)

    def _check(self, response: httpx2.Response) -> None:
        if not response.headers.get("content-type", "").startswith("application/json"):
            return
        method, path = response.request.method, response.request.url.path
        schema = self.contract.schema_for(method, path, response.status_code)
        if schema is not None:
            self.schemas.add(schema)
        self.violations += self.contract.check(
            response.request.method, response.request.url.path, response.status_code, response.json()
        )


@pytest.fixture(autouse=True)
def azure_contract(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AzureContractLog]:
    """Hooks the contract check into every HTTP client the test's emulator handle makes."""
    log = AzureContractLog()
    if "openai_emulator" in request.fixturenames:
        handle: EmulatorHandle = request.getfixturevalue("openai_emulator")
        make_sync, make_async = handle.http_client, handle.async_http_client

        def http_client(**kwargs: Any) -> httpx2.Client:
            client = make_sync(**kwargs)
            client.event_hooks["response"].append(log.sync_hook)
            return client

        def async_http_client(**kwargs: Any) -> httpx2.AsyncClient:
            client = make_async(**kwargs)
            client.event_hooks["response"].append(log.async_hook)
            return client

        monkeypatch.setattr(handle, "http_client", http_client)
        monkeypatch.setattr(handle, "async_http_client", async_http_client)
    yield log
    assert not log.violations, "Azure answers violate Azure's v1 contract:\n" + "\n".join(log.violations)
