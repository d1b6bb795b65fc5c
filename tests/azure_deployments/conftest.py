"""Raw HTTP clients for the ARM deployment routes and the /_emulator/azure control API."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from emulator import EmulatorServer
from emulator.domain.state import Emulator

AZURE_KEY = "azure-test-key-0123456789abcdef"
ACCOUNT = "my-aoai"
ARM = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-test/providers/"
    f"Microsoft.CognitiveServices/accounts/{ACCOUNT}/deployments"
)
API_VERSION = {"api-version": "2024-10-01"}
# A JWT-shaped Entra token (header.payload.signature): the emulator checks the shape, not the signature.
ENTRA_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tIn0.c2ln"


@pytest.fixture
def arm(server: EmulatorServer, emulator: Emulator) -> Iterator[httpx.Client]:
    """ARM calls as the Azure resource of AZURE_KEY (by its api-key header)."""
    with httpx.Client(
        base_url=server.url, headers={"api-key": AZURE_KEY}, params=API_VERSION, timeout=30
    ) as c:
        yield c


@pytest.fixture
def control(server: EmulatorServer, emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def model_body(
    name: str, version: str | None = None, sku: str = "Standard", capacity: int = 1
) -> dict[str, object]:
    model: dict[str, object] = {"format": "OpenAI", "name": name}
    if version is not None:
        model["version"] = version
    return {"sku": {"name": sku, "capacity": capacity}, "properties": {"model": model}}


@pytest.fixture
def server_url(server: EmulatorServer, emulator: Emulator) -> str:
    """The live server's origin, its state reset for this test."""
    return server.url
