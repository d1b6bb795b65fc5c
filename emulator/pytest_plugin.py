"""pytest plugin: fixtures that give each test a clean emulator and ready OpenAI clients.

Fixtures: `openai_emulator` (an `emulator.testing.EmulatorHandle`, reset for the test, with
`OPENAI_BASE_URL`/`OPENAI_API_KEY` set), `openai_client`, `async_openai_client`, `azure_client`,
`async_azure_client` (the official AzureOpenAI clients, same key, as an Azure resource), `emulator_settings`
(override it in a conftest.py), `openai_emulator_mode` and `webhook_receiver`.
Marker: `@pytest.mark.emulator(...)`. Options: `--emulator-mode=live|inprocess|both` (ini `emulator_mode`),
ini `emulator_timeout` and `emulator_strict_validation`.
One emulator per mode and settings per pytest process (so each xdist worker has its own), reset per test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    import openai

    from .coverage.plugin import CoverageSession
    from .settings import Settings
    from .testing import EmulatorHandle
    from .webhook_receiver import WebhookReceiver

__all__ = [
    "async_azure_client",
    "async_openai_client",
    "azure_client",
    "emulator_settings",
    "openai_client",
    "openai_emulator",
    "openai_emulator_mode",
    "webhook_receiver",
]

MARKER = (
    "emulator(scenario=None, seed=None, clock=None, mode=None, preload=None, **settings): configure the "
    "openai_emulator fixture for this test: a scenario (library name, YAML path or built Scenario), the "
    "seed, the clock ('auto', 'virtual', 'real', or a start time), the mode ('inprocess' or 'live'), fixture files "
    "to preload (a path or a list, relative to the test file) and any other Settings field."
)
# Marker arguments that are not Settings fields.
_OWN_ARGUMENTS = ("scenario", "mode")
# Settings fields a marker must not set: the plugin owns where the server listens.
_FIXED_FIELDS = ("host", "port")
_HANDLE = pytest.StashKey["EmulatorHandle"]()
_COVERAGE: pytest.StashKey[CoverageSession] = pytest.StashKey()
_MODES = ("live", "inprocess", "both")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("openai-emulator", "OpenAI fine-tuning emulator")
    group.addoption(
        "--emulator-mode",
        choices=_MODES,
        default=None,
        help="how tests reach the emulator: live (a socket on 127.0.0.1), inprocess (no socket), or both "
        "(each test runs once per mode). Default: the emulator_mode ini value, else live.",
    )
    group.addoption(
        "--openai-emulator-report",
        metavar="PATH",
        default=None,
        help="write a JSON coverage report of the session to PATH (operations called, statuses, job states, "
        "faults, and a verdict on how the client retried and polled) and print its summary",
    )
    parser.addini("emulator_mode", "default --emulator-mode (live, inprocess or both)", default="live")
    group.addoption(
        "--emulator-lifecycle",
        choices=("unrestricted", "openai"),
        default=None,
        help="the real service's calendar for every test: unrestricted (default) or openai (model shutdown "
        "dates and the fine-tuning wind-down enforced). Default: the emulator_lifecycle ini value.",
    )
    parser.addini("emulator_lifecycle", "default --emulator-lifecycle", default="unrestricted")
    parser.addini("emulator_timeout", "seconds the ready clients wait for a response", default="30")
    parser.addini(
        "emulator_strict_validation",
        "whether openai_client/async_openai_client use the SDK's strict response validation (default "
        "false, as in the SDK: OpenAI's own answers can carry values the SDK's types lack, e.g. 'paused')",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    report = config.getoption("--openai-emulator-report", None)
    if report:
        from pathlib import Path

        from .coverage.plugin import CoverageSession

        session = CoverageSession(config, Path(report))
        config.stash[_COVERAGE] = session
        config.pluginmanager.register(session, "openai-emulator-coverage")


def _configured_mode(config: pytest.Config) -> str:
    mode = config.getoption("--emulator-mode", None) or str(config.getini("emulator_mode") or "live")
    if mode not in _MODES:
        raise pytest.UsageError(f"emulator_mode must be one of {', '.join(_MODES)}, not {mode!r}")
    return mode


def _marker_kwargs(node: pytest.Item | pytest.Collector | Any) -> dict[str, Any]:
    """The `emulator` markers' keyword arguments, closest (function) winning over class and module."""
    merged: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers("emulator"))):
        if marker.args:
            _marker_error("takes keyword arguments only, e.g. @pytest.mark.emulator(seed=7)")
        merged.update(marker.kwargs)
    unknown = sorted(set(merged) - set(_valid_arguments()))
    if unknown:
        _marker_error(_unknown_argument(unknown[0]))
    return merged


def _valid_arguments() -> list[str]:
    import dataclasses

    from .settings import Settings

    fields = [f.name for f in dataclasses.fields(Settings) if f.name not in _FIXED_FIELDS]
    return [*_OWN_ARGUMENTS, *fields]


def _unknown_argument(name: str) -> str:
    import difflib

    valid = _valid_arguments()
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown argument {name!r}{hint}; valid: {', '.join(valid)}"


def _marker_error(message: str) -> NoReturn:
    """Fail the test with one line naming the problem, not a traceback through the plugin."""
    __tracebackhide__ = True
    pytest.fail(f"@pytest.mark.emulator: {message}", pytrace=False)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "openai_emulator_mode" not in metafunc.fixturenames:
        return
    if _configured_mode(metafunc.config) == "both" and "mode" not in _marker_kwargs(metafunc.definition):
        metafunc.parametrize("openai_emulator_mode", ["inprocess", "live"], scope="function")


@pytest.fixture
def openai_emulator_mode(request: pytest.FixtureRequest) -> str:
    """'inprocess' or 'live' for this test: the marker's `mode`, else --emulator-mode / ini."""
    mode = _marker_kwargs(request.node).get("mode") or _configured_mode(request.config)
    if mode not in ("inprocess", "live"):
        _marker_error(f"mode must be 'inprocess' or 'live', not {mode!r}")
    return str(mode)


@pytest.fixture
def emulator_settings(pytestconfig: pytest.Config) -> Settings:
    """The settings every test starts from. Override this fixture in a conftest.py to change them.

    The clock is "auto": virtual (it stands still, so tests are deterministic) but a test that polls an
    unfinished job moves it to the job's next status, so an ordinary polling loop ends. The contract check
    is strict: a body that violates OpenAI's contract fails the test."""
    from .settings import Settings

    config = pytestconfig
    lifecycle = config.getoption("--emulator-lifecycle", None) or config.getini("emulator_lifecycle")
    try:
        return Settings(host="127.0.0.1", port=0, clock="auto", contract="strict", lifecycle=str(lifecycle or "unrestricted"))
    except ValueError as exc:
        raise pytest.UsageError(f"emulator_lifecycle: {exc}") from None


class _Pool:
    """The emulators of this pytest process: one per (mode, settings that need their own app)."""

    def __init__(self, timeout: float, strict: bool = False) -> None:
        self.timeout = timeout
        self.strict = strict
        self._handles: dict[tuple[str, str], EmulatorHandle] = {}

    def get(self, mode: str, settings: Settings) -> EmulatorHandle:
        from .testing import EmulatorHandle, structural_key

        key = (mode, repr(structural_key(settings)))  # Settings holds a dict: not hashable
        handle = self._handles.get(key)
        if handle is None:
            handle = self._handles[key] = EmulatorHandle(
                settings, mode=mode, timeout=self.timeout, strict=self.strict
            ).start()
        return handle

    def close(self) -> None:
        while self._handles:
            _, handle = self._handles.popitem()
            handle.close()


@pytest.fixture(scope="session")
def _openai_emulator_pool(pytestconfig: pytest.Config) -> Iterator[_Pool]:
    pool = _Pool(
        float(pytestconfig.getini("emulator_timeout")),
        bool(pytestconfig.getini("emulator_strict_validation")),
    )
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def openai_emulator(
    request: pytest.FixtureRequest,
    emulator_settings: Settings,
    openai_emulator_mode: str,
    _openai_emulator_pool: _Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[EmulatorHandle]:
    """A clean emulator for this test (shared per process, reset here), with the environment pointed at it
    and requests for api.openai.com (even from clients built before the test) served by it."""
    from .intercept import transport_patches
    from .testing import parse_clock

    options = _marker_kwargs(request.node)
    options.pop("mode", None)
    scenario = options.pop("scenario", None)
    preload = options.pop("preload", None)
    overrides = {k: v for k, v in options.items() if v is not None}
    try:
        if "clock" in overrides:
            overrides.update(parse_clock(overrides.pop("clock"), emulator_settings.clock))
        settings = emulator_settings.with_overrides(**overrides) if overrides else emulator_settings
    except (TypeError, ValueError) as exc:
        _marker_error(str(exc))
    handle = _openai_emulator_pool.get(openai_emulator_mode, settings)
    handle.check()  # a crashed server fails here, not later as a hang
    handle.reset(settings)
    if scenario is not None:
        scenarios = scenario if isinstance(scenario, list | tuple) else [scenario]
        handle.use_scenario(*scenarios, base=request.path.parent)
    for fixture in [preload] if isinstance(preload, str) else list(preload or ()):
        path = request.path.parent / fixture  # relative to the test file (an absolute path stays as is)
        handle.preload(path if path.exists() else fixture)
    for name, value in handle.env().items():
        monkeypatch.setenv(name, value)
    for module, attribute, replacement in handle.openai_patches():
        monkeypatch.setattr(module, attribute, replacement)
    for cls, method, replacement in transport_patches(handle, inprocess=handle.mode == "inprocess"):
        monkeypatch.setattr(cls, method, replacement)
    request.node.stash[_HANDLE] = handle
    try:
        yield handle
    finally:
        handle.close_clients()
        coverage = request.config.stash.get(_COVERAGE, None)
        if coverage is not None:
            coverage.add(request.node.nodeid, handle.take_observations())


@pytest.fixture
def openai_client(openai_emulator: EmulatorHandle) -> Iterator[openai.OpenAI]:
    """The official sync client for this test's emulator (strict response validation on)."""
    with openai_emulator.client() as client:
        yield client


@pytest.fixture
def async_openai_client(openai_emulator: EmulatorHandle) -> openai.AsyncOpenAI:
    """The official async client (strict validation on). A plain fixture, so it works under anyio,
    pytest-asyncio or trio alike; its HTTP client keeps no idle connections, so nothing needs closing."""
    return openai_emulator.async_client()


@pytest.fixture
def azure_client(openai_emulator: EmulatorHandle) -> Iterator[openai.AzureOpenAI]:
    """The official `AzureOpenAI` client for this test's emulator, on the dated API
    (`emulator.testing.AZURE_API_VERSION`); `openai_emulator.azure_client(api_version="v1")` gives the GA v1
    API. Its key names an Azure resource: a tenant of its own, apart from `openai_client`'s organization."""
    with openai_emulator.azure_client() as client:
        yield client


@pytest.fixture
def async_azure_client(openai_emulator: EmulatorHandle) -> openai.AsyncAzureOpenAI:
    """The official `AsyncAzureOpenAI` client (see `azure_client`); keeps no idle connections."""
    return openai_emulator.async_azure_client()


@pytest.fixture
def webhook_receiver(openai_emulator: EmulatorHandle) -> WebhookReceiver:
    """An in-process webhook receiver (no socket) with an endpoint for the test's tenant, subscribed to
    the fine-tuning job events. Deliveries arrive as the emulator's clock reaches them; call
    `openai_emulator.flush_webhooks()` after advancing a virtual clock to have them sent right away."""
    return openai_emulator.webhook_receiver()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test with the server-side traceback when the emulator raised while serving it."""
    try:
        result = yield
    except BaseException as exc:
        handle = item.stash.get(_HANDLE, None)
        if handle is not None:
            try:
                handle.check()
            except AssertionError as server_error:
                exc.add_note(str(server_error))
            if handle.polling_hint:  # e.g. a polling loop stopped by a timeout or Ctrl-C
                exc.add_note(f"openai_emulator: {handle.polling_hint}")
        raise
    handle = item.stash.get(_HANDLE, None)
    if handle is not None:
        handle.check()
    return result
