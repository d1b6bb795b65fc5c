"""Helpers for scenario tests: SDK clients with chosen retries/timeouts, fast backoff, journal waits."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator

import openai
import openai._base_client as base_client
import pytest
from openai.types.chat import ChatCompletionMessageParam

from emulator import EmulatorServer
from emulator.domain.journal import JournalEntry
from emulator.domain.state import Emulator
from emulator.scenarios import Scenario, find_scenario

from ..conftest import API_KEY

LINES = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Tell me something about the sea"}]

SDK = Callable[..., openai.OpenAI]


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's exponential backoff (0.5 s, 1 s, ...) cut to milliseconds; retry-after headers still win."""
    monkeypatch.setattr(base_client, "INITIAL_RETRY_DELAY", 0.001)
    monkeypatch.setattr(base_client, "MAX_RETRY_DELAY", 0.002)


@pytest.fixture
def sdk(server: EmulatorServer, emulator: Emulator) -> Iterator[SDK]:
    """Build official clients: sdk(max_retries=2, timeout=5.0, api_key=...)."""
    made: list[openai.OpenAI] = []

    def make(*, api_key: str = API_KEY, max_retries: int = 2, timeout: float = 5.0) -> openai.OpenAI:
        client = openai.OpenAI(
            base_url=server.base_url, api_key=api_key, max_retries=max_retries, timeout=timeout
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def use(emulator: Emulator, name: str, organization: str | None = None) -> Scenario:
    """Activate a library scenario (for every tenant unless `organization` is given)."""
    scenario = find_scenario(name)
    emulator.scenarios.load(scenario, organization)
    return scenario


def upload(client: openai.OpenAI, **extra: object) -> openai.types.FileObject:
    return client.files.create(file=("train.jsonl", io.BytesIO(LINES)), purpose="fine-tune", **extra)  # type: ignore[arg-type]


def files_of(emulator: Emulator) -> int:
    return sum(len(list(t.files)) for t in emulator.tenants())


def journal(
    emulator: Emulator, count: int, *, path: str | None = None, timeout: float = 2.0
) -> list[JournalEntry]:
    """The journal once it holds `count` entries: a client that gave up can be ahead of the server."""
    deadline = time.monotonic() + timeout
    while True:
        entries = emulator.journal.find(path=path)
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.005)
