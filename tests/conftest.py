"""Shared fixtures: one live emulator per session, reset before each test, with contract-checked clients."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import httpx2
import openai
import pytest

from emulator import EmulatorServer, Settings
from emulator.domain.state import Emulator

from . import contract

API_KEY = "sk-test-0123456789abcdefghijklmnopqrstuvwxyz"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz-examples",
        type=int,
        default=8,
        help="generated requests per operation in the spec fuzz run (default 8; try 300 for a long run)",
    )


@pytest.fixture
def fuzz_examples(request: pytest.FixtureRequest) -> int:
    value: int = request.config.getoption("--fuzz-examples")
    return value


def pytest_report_header() -> str:
    return contract.status()


class ContractLog:
    """Collects spec violations seen by any client during one test; the test fails if there are any."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def sync_hook(self, response: httpx.Response | httpx2.Response) -> None:
        response.read()
        self._check(response)

    async def async_hook(self, response: httpx2.Response) -> None:
        await response.aread()
        self._check(response)

    def _check(self, response: httpx.Response | httpx2.Response) -> None:
        self.violations += contract.check_response(
            response.request.method,
            response.request.url.path,
            response.status_code,
            response.headers.get("content-type", ""),
            response.content,
        )


@pytest.fixture(scope="session")
def server() -> Iterator[EmulatorServer]:
    contract.load()
    with EmulatorServer(Settings(port=0, contract="strict")) as live:
        yield live


@pytest.fixture
def emulator(server: EmulatorServer) -> Emulator:
    """The live server's state, reset (virtual clock rewound) for this test."""
    state: Emulator = server.app.state.emulator
    state.reset()
    return state


@pytest.fixture
def contract_log() -> Iterator[ContractLog]:
    log = ContractLog()
    yield log
    assert not log.violations, "responses violate the OpenAPI contract:\n" + "\n".join(log.violations)


def make_client(
    server: EmulatorServer, log: ContractLog, api_key: str = API_KEY, **kwargs: object
) -> openai.OpenAI:
    http = httpx2.Client(event_hooks={"response": [log.sync_hook]})
    return openai.OpenAI(
        base_url=server.base_url,
        api_key=api_key,
        http_client=http,
        _strict_response_validation=True,
        **kwargs,
    )


@pytest.fixture
def client(server: EmulatorServer, emulator: Emulator, contract_log: ContractLog) -> Iterator[openai.OpenAI]:
    with make_client(server, contract_log) as sdk:
        yield sdk


@pytest.fixture
async def async_client(server: EmulatorServer, emulator: Emulator, contract_log: ContractLog) -> object:
    http = httpx2.AsyncClient(event_hooks={"response": [contract_log.async_hook]})
    sdk = openai.AsyncOpenAI(
        base_url=server.base_url, api_key=API_KEY, http_client=http, _strict_response_validation=True
    )
    async with sdk:
        yield sdk


@pytest.fixture
def http(server: EmulatorServer, emulator: Emulator, contract_log: ContractLog) -> Iterator[httpx.Client]:
    """A raw client for edge cases the SDK would never send; authenticated as the same tenant as `client`."""
    with httpx.Client(
        base_url=server.url,
        headers={"Authorization": f"Bearer {API_KEY}"},
        event_hooks={"response": [contract_log.sync_hook]},
        timeout=60,  # a read may wait for a training file's analysis (the SDK waits up to 600 s)
    ) as raw:
        yield raw


@pytest.fixture
def other_client(
    server: EmulatorServer, emulator: Emulator, contract_log: ContractLog
) -> Iterator[openai.OpenAI]:
    """A second tenant (different API key)."""
    with make_client(server, contract_log, api_key="sk-other-tenant-key-000000000000000000") as sdk:
        yield sdk


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
