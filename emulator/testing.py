"""EmulatorHandle: one emulator for tests, in-process (no socket) or live (a real socket), with controls.

The pytest plugin is a thin layer over this module; it works without pytest too:

    with EmulatorHandle(mode="inprocess") as emu:
        client = emu.client()
        client.files.create(file=("train.jsonl", data), purpose="fine-tune")
        emu.advance("10m")
        emu.assert_called("POST", "/v1/files", times=1)

Both modes drive the same app object in this process, so clock, seed, journal and scenario controls act
on the state directly; only the HTTP path differs (Starlette's test transport vs. uvicorn on 127.0.0.1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import fnmatch
import functools
import json
import ssl
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx2

from .app import create_app
from .contract.check import ContractReport, format_violations
from .coverage.observe import Observation, ObservationLog
from .domain.journal import JournalEntry
from .durations import parse_duration
from .scenarios.middleware import ConnectionDropped
from .server import EmulatorServer, EmulatorServerError, ErrorTrap
from .settings import Settings
from .webhook_receiver import WebhookReceiver

if TYPE_CHECKING:
    import openai
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from .domain.state import Emulator
    from .scenarios import Scenario

__all__ = [
    "AZURE_API_VERSION",
    "DEFAULT_API_KEY",
    "INPROCESS_URL",
    "MODES",
    "ControlError",
    "EmulatorHandle",
    "parse_clock",
]

MODES = ("inprocess", "live")
DEFAULT_API_KEY = "sk-emulator-test-0123456789abcdefghijklmnop"
AZURE_API_VERSION = "2024-10-21"  # the latest GA dated Azure OpenAI API version the ready Azure clients use
AZURE_V1_VERSIONS = ("v1", "preview")  # what selects Azure's GA v1 API (`/openai/v1/...`) instead
# Where in-process requests "go": a reserved TLD, so a request that escapes the transport fails loudly.
INPROCESS_URL = "http://openai-emulator.test"
# Settings a handle can change between tests without a new app (they are read at request time).
PER_TEST_FIELDS = (
    "seed",
    "clock",
    "speed",
    "start_time",
    "api_keys",
    "organizations",
    "job_progression",
    "lenient",
    "admin_keys",
    "lifecycle",
)


def parse_clock(value: object, current: str = "auto") -> dict[str, Any]:
    """Settings for a marker's `clock=`: "virtual"/"auto"/"real", or a start time (Unix seconds, datetime,
    ISO 8601), which keeps the `current` simulated mode (auto when `current` is real)."""
    if value in ("virtual", "auto", "real"):
        return {"clock": value}
    simulated = current if current in ("virtual", "auto") else "auto"
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return {"clock": simulated, "start_time": moment.timestamp()}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"clock": simulated, "start_time": float(value)}
    if isinstance(value, str):
        try:
            return parse_clock(dt.datetime.fromisoformat(value.replace("Z", "+00:00")), current)
        except ValueError:
            pass
    raise ValueError(
        f"clock must be 'virtual', 'auto', 'real', a Unix time, a datetime or an ISO 8601 string, "
        f"not {value!r}"
    )


def structural_key(settings: Settings) -> Settings:
    """The part of `settings` that needs its own app: everything but the per-test fields."""
    defaults = Settings()
    return dataclasses.replace(settings, **{name: getattr(defaults, name) for name in PER_TEST_FIELDS})


class ControlError(AssertionError):
    """A control call the emulator refused, e.g. running a job to a status it can no longer reach."""

    def __init__(self, status: int, error: Mapping[str, Any]) -> None:
        self.status = status
        self.code = error.get("code")
        self.message = str(error.get("message", ""))
        super().__init__(f"{self.message} (HTTP {status}, code {self.code})")


class EmulatorHandle:
    """An emulator app plus the way to reach it (`mode`), ready clients and test controls.

    Args:
        settings: how the emulator behaves (`port` 0 picks a free port in live mode).
        mode: "inprocess" (Starlette's test transport straight into the app) or "live" (uvicorn in a
            thread on `settings.host`).
        api_key: the key the ready clients and `env()` use; the first allow-listed key by default.
        timeout: seconds the ready clients wait for a response, so a stuck request fails instead of hanging.
        strict: whether the ready clients use the SDK's strict response validation. Off by default, as in
            the SDK: OpenAI itself answers with values the SDK's types don't list (a paused job's
            `status: "paused"`), which strict validation rejects.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        mode: str = "inprocess",
        api_key: str | None = None,
        timeout: float = 30.0,
        strict: bool = False,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.settings = settings or Settings(host="127.0.0.1", port=0)
        self.mode = mode
        self.timeout = timeout
        self.strict = strict
        self._api_key = api_key
        self.app: Starlette = create_app(self.settings)
        self._server: EmulatorServer | None = None
        self._test_client: TestClient | None = None
        self._trap: ErrorTrap | None = None
        self._transport: _SharedTransport | None = None
        self._clients: list[weakref.ref[httpx2.Client]] = []
        self._control_client: httpx2.Client | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> EmulatorHandle:
        if self.started:
            return self
        if self.mode == "live":
            self._server = EmulatorServer(self.settings, app=self.app).start()
            self._trap = self._server.trap
        else:
            from starlette.testclient import TestClient

            self._trap = ErrorTrap(self.app)
            # The trap turns app exceptions into 500s (and records them); what still escapes is a
            # scenario's simulated drop, which _SharedTransport turns into the client's connection error.
            client = TestClient(self._trap, base_url=INPROCESS_URL, raise_server_exceptions=True)
            self._test_client = client.__enter__()  # one event loop thread for the app, lifespan run once
            self._transport = _SharedTransport(client._transport)
        return self

    @property
    def started(self) -> bool:
        return self._server is not None or self._test_client is not None

    def close(self) -> None:
        self.close_clients()
        if self._control_client is not None:
            self._control_client.close()
            self._control_client = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._test_client is not None:
            if self._transport is not None:
                self._transport.shutdown()
            self._test_client.__exit__(None, None, None)
            self._test_client = None
            self._transport = None

    def __enter__(self) -> EmulatorHandle:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- where it is -----------------------------------------------------------------------------------

    @property
    def state(self) -> Emulator:
        """The emulator's state object (`emulator.domain.state.Emulator`)."""
        em: Emulator = self.app.state.emulator
        return em

    @property
    def url(self) -> str:
        """The origin: `http://127.0.0.1:<port>` live, `http://openai-emulator.test` in-process."""
        if self._server is not None:
            return self._server.url
        if self._test_client is not None:
            return INPROCESS_URL
        raise RuntimeError("the emulator is not started")

    @property
    def base_url(self) -> str:
        """What to give the SDK as `base_url`."""
        return self.url + "/v1"

    @property
    def api_key(self) -> str:
        if self._api_key is not None:
            return self._api_key
        keys = self.state.settings.api_keys
        return keys[0] if keys else DEFAULT_API_KEY

    def env(self) -> dict[str, str]:
        """`OPENAI_BASE_URL` and `OPENAI_API_KEY` for code that builds its own client."""
        return {"OPENAI_BASE_URL": self.base_url, "OPENAI_API_KEY": self.api_key}

    # -- clients ---------------------------------------------------------------------------------------

    def http_client(self, **kwargs: Any) -> httpx2.Client:
        """A plain `httpx2.Client` for this emulator (base URL is the origin; add `/v1/...` yourself)."""
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("base_url", self.url)
        if self.mode == "inprocess":
            kwargs.setdefault("transport", self._inprocess_transport())
        _plain_http(kwargs)
        client = httpx2.Client(**kwargs)
        self._clients.append(weakref.ref(client))
        return client

    def close_clients(self) -> None:
        """Close the sync HTTP clients this handle made (the plugin does it when a test ends), so no
        kept-alive socket outlives its test."""
        clients, self._clients = self._clients, []
        for ref in clients:
            client = ref()
            if client is not None:
                client.close()
        self.abort_requests()

    def abort_requests(self) -> None:
        """Cancel requests the app is still working on, e.g. one a client timed out on that a stall or
        slow-success fault still holds, so it can't end (and be journaled) during the next test."""
        if self._trap is not None:
            self._trap.abort_requests()

    def async_http_client(self, **kwargs: Any) -> httpx2.AsyncClient:
        """A plain `httpx2.AsyncClient`. It keeps no idle connections, so it needs no `aclose()`."""
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("base_url", self.url)
        if self.mode == "inprocess":
            kwargs.setdefault("transport", _ThreadedAsyncTransport(self._inprocess_transport()))
        else:
            kwargs.setdefault("limits", httpx2.Limits(max_keepalive_connections=0))
        _plain_http(kwargs)
        return httpx2.AsyncClient(**kwargs)

    def client(self, *, api_key: str | None = None, **kwargs: Any) -> openai.OpenAI:
        """The official sync client, pointed here (strict response validation as `self.strict` says)."""
        import openai

        kwargs.setdefault("http_client", self.http_client())
        kwargs.setdefault("_strict_response_validation", self.strict)
        return openai.OpenAI(base_url=self.base_url, api_key=api_key or self.api_key, **kwargs)

    def async_client(self, *, api_key: str | None = None, **kwargs: Any) -> openai.AsyncOpenAI:
        """The official async client, pointed here (strict response validation as `self.strict` says)."""
        import openai

        kwargs.setdefault("http_client", self.async_http_client())
        kwargs.setdefault("_strict_response_validation", self.strict)
        return openai.AsyncOpenAI(base_url=self.base_url, api_key=api_key or self.api_key, **kwargs)

    def azure_client(
        self, *, api_key: str | None = None, api_version: str = AZURE_API_VERSION, **kwargs: Any
    ) -> openai.AzureOpenAI:
        """The official `AzureOpenAI` client, calling this emulator as an Azure OpenAI resource: the dated
        API (`api_version` YYYY-MM-DD[-preview], endpoint `/openai/...`) or, with `api_version` "v1" or
        "preview", the GA v1 API (`/openai/v1/...`). The key names the Azure resource (its own tenant)."""
        import openai

        kwargs.setdefault("http_client", self.http_client())
        kwargs.setdefault("_strict_response_validation", self.strict)
        key = api_key or self.api_key
        if api_version in AZURE_V1_VERSIONS:
            return openai.AzureOpenAI(base_url=self.url + "/openai/v1/", api_key=key, api_version=api_version,
                                      **kwargs)
        return openai.AzureOpenAI(azure_endpoint=self.url, api_key=key, api_version=api_version, **kwargs)

    def async_azure_client(
        self, *, api_key: str | None = None, api_version: str = AZURE_API_VERSION, **kwargs: Any
    ) -> openai.AsyncAzureOpenAI:
        """The official `AsyncAzureOpenAI` client (see `azure_client`)."""
        import openai

        kwargs.setdefault("http_client", self.async_http_client())
        kwargs.setdefault("_strict_response_validation", self.strict)
        key = api_key or self.api_key
        if api_version in AZURE_V1_VERSIONS:
            return openai.AsyncAzureOpenAI(base_url=self.url + "/openai/v1/", api_key=key,
                                           api_version=api_version, **kwargs)
        return openai.AsyncAzureOpenAI(azure_endpoint=self.url, api_key=key, api_version=api_version,
                                       **kwargs)

    def inprocess_transport(self) -> httpx2.BaseTransport | None:
        """The transport into the app when in-process (None when live: use the socket)."""
        return self._inprocess_transport() if self.mode == "inprocess" else None

    def inprocess_async_transport(self) -> httpx2.AsyncBaseTransport | None:
        return _ThreadedAsyncTransport(self._inprocess_transport()) if self.mode == "inprocess" else None

    def _inprocess_transport(self) -> httpx2.BaseTransport:
        if self._transport is None:
            raise RuntimeError("the emulator is not started")
        return self._transport

    def openai_patches(self) -> list[tuple[object, str, object]]:
        """In-process mode: (module, name, replacement) triples that route the default HTTP client of
        `openai.OpenAI()`/`AsyncOpenAI()` built from the environment into the app. Empty when live."""
        if self.mode != "inprocess":
            return []
        import openai._base_client as base

        transport = self._inprocess_transport()
        patches: list[tuple[object, str, object]] = []
        for name, make in (
            ("SyncHttpxClientWrapper", lambda: transport),
            ("AsyncHttpxClientWrapper", lambda: _ThreadedAsyncTransport(transport)),
        ):
            original = getattr(base, name, None)
            if isinstance(original, type):
                patches.append((base, name, _routed(original, make)))
        return patches

    # -- per-test state --------------------------------------------------------------------------------

    def reset(self, settings: Settings | None = None) -> None:
        """Forget everything (files, jobs, models, journal, scenario state) and rewind the clock.

        `settings` may change the per-test fields (seed, clock, speed, start_time, api_keys,
        organizations); the others must match the handle's settings.
        """
        if settings is not None:
            if structural_key(settings) != structural_key(self.settings):
                changed = [
                    f.name
                    for f in dataclasses.fields(settings)
                    if f.name not in PER_TEST_FIELDS
                    and getattr(settings, f.name) != getattr(self.settings, f.name)
                ]
                raise ValueError(f"these settings need a new emulator, not a reset: {', '.join(changed)}")
            # Safe to swap: every per-test field is read at request time or rebuilt by the reset below.
            if self.state.store is not None:
                fields = {name: getattr(settings, name) for name in PER_TEST_FIELDS}
                self.state.store.perform(
                    "reset", {"settings": json.loads(json.dumps(fields, default=_plain))}
                )
            else:
                self.state.settings = settings
        state = self.state
        if state.store is not None and settings is None:
            state.store.perform("reset", {})
        elif state.store is None:
            state.reseed(state.settings.seed)
        if self._trap is not None:
            self._trap.take()
        self.take_observations()
        self.app.state.contract.take()

    @property
    def seed(self) -> int:
        return self.state.seed

    def reseed(self, seed: int) -> None:
        """Change the seed; like OpenAI's control API this also resets everything."""
        self._perform("reseed", {"seed": seed}, lambda: self.state.reseed(seed))

    # -- scenarios -------------------------------------------------------------------------------------

    def use_scenario(
        self, *scenarios: object, api_key: str | None = None, base: str | Path | None = None
    ) -> None:
        """Activate scenarios until the next reset, for every tenant (or only `api_key`'s).

        Each may be a library name ("flaky_network"), a YAML/JSON path (relative paths are tried against
        `base` too), a `Scenario`, a `ScenarioBuilder`, or a plain mapping in the DSL's shape.
        """
        organization = self.state.organization(api_key).id if api_key else None
        for item in scenarios:
            scenario = self._scenario(item, base)
            self._perform(
                "use_scenario",
                {"scenario": scenario.to_dict(), "organization": organization},
                functools.partial(self.state.scenarios.load, scenario, organization),
            )

    def _scenario(self, item: object, base: str | Path | None) -> Scenario:
        from .scenarios import Scenario, ScenarioBuilder, find_scenario, load_scenario, parse_scenario

        if isinstance(item, Scenario):
            return item
        if isinstance(item, ScenarioBuilder) or callable(getattr(item, "build", None)):
            built = item.build()  # type: ignore[attr-defined]  # a builder, or a rule builder in a chain
            if not isinstance(built, Scenario):
                raise TypeError(f"{item!r}.build() did not return a Scenario")
            return built
        if isinstance(item, Mapping):
            return parse_scenario(dict(item), "<mapping>")
        if isinstance(item, str | Path):
            path = Path(item)
            if (
                not path.is_absolute()
                and not path.exists()
                and base is not None
                and (Path(base) / path).exists()
            ):
                path = Path(base) / path
            if path.exists() or path.suffix:
                return load_scenario(path)
            return find_scenario(str(item), self.state.settings.scenario_dir or None)
        raise TypeError(f"not a scenario: {item!r} (give a name, a path, a Scenario or a builder)")

    def clear_scenarios(self) -> None:
        """Deactivate every scenario (those from `settings.scenarios` come back at the next reset)."""
        self._perform("clear_scenarios", {}, self.state.scenarios.clear)

    def active_scenarios(self) -> list[dict[str, Any]]:
        """What the control API's `GET /_emulator/scenarios` lists: each active scenario and its rules."""
        return self.state.scenarios.describe()

    # -- fine-tuning jobs -------------------------------------------------------------------------------

    def run_job(self, job_id: str, until: str = "completed", *, api_key: str | None = None) -> Any:
        """Move the clock along one job's timeline until it reaches `until` ("queued", "running",
        "succeeded", "failed", "cancelled" or "completed": any end), so its timestamps stay plausible;
        other jobs live through the same time. Returns the job as the SDK's `FineTuningJob`; raises
        `ControlError` when the job can't get there (it ended otherwise, is paused, or is stuck in the
        queue)."""
        body = self._control(
            "POST", f"/_emulator/jobs/{job_id}/run", {"until": until, **self._scope(api_key)}
        )
        return _as_job(body)

    def run_all_jobs(self, *, api_key: str | None = None) -> list[dict[str, Any]]:
        """Run every unfinished job (of every tenant, or `api_key`'s) to completion, moving the clock to the
        last one's end; returns each job's
        `{"id", "status", "completed"}` (completed is False for a job that can't finish, e.g. paused)."""
        data: list[dict[str, Any]] = self._control("POST", "/_emulator/jobs/run", self._scope(api_key))[
            "data"
        ]
        return data

    def set_job_progression(
        self, policy: str | None, *, job_id: str | None = None, api_key: str | None = None
    ) -> None:
        """How jobs progress: "time" (on the clock), "manual" (only when advanced or run) or
        "step-per-read" (each retrieve moves a job to its next status); None restores the default.
        For one job (`job_id`) or for all of a tenant's jobs (the handle's key unless `api_key`)."""
        body: dict[str, Any] = {"policy": policy}
        if job_id is not None:
            body["job_id"] = job_id
        if api_key is not None or job_id is None:
            body.update({"api_key": api_key or self.api_key})
        self._control("POST", "/_emulator/jobs/progression", body)

    def set_lifecycle(
        self,
        *,
        policy: str | None = None,
        access: str | None = None,
        shutdown_dates: Mapping[str, str | None] | None = None,
        api_key: str | None = None,
        everyone: bool = False,
    ) -> dict[str, Any]:
        """Override the real calendar for the handle's tenant (or `api_key`'s; `everyone`: all tenants):
        `policy` "openai"/"unrestricted", `access` "allowed"/"blocked" (fine-tuning, whatever the
        tenant's history), `shutdown_dates` model id -> "YYYY-MM-DD" (or None: no date). Returns the
        tenant's effective lifecycle, as `GET /_emulator/lifecycle` shows it."""
        body: dict[str, Any] = {} if everyone else {"api_key": api_key or self.api_key}
        if policy is not None:
            body["policy"] = policy
        if access is not None:
            body["access"] = access
        if shutdown_dates:
            body["shutdown_dates"] = dict(shutdown_dates)
        return self._control("POST", "/_emulator/lifecycle", body)

    # -- Azure deployments ------------------------------------------------------------------------------

    def deploy(
        self,
        model: str,
        name: str,
        *,
        sku: str = "standard",
        version: str | None = None,
        capacity: int = 1,
        api_key: str | None = None,
        provision: bool = False,
    ) -> dict[str, Any]:
        """Deploy `model` (a base model or a fine-tuned model of the Azure resource) as `name` on the Azure
        resource of `api_key` (default: the handle's key), so `AzureOpenAI` clients can call it. Ready at
        once unless `provision` (then Creating for a minute of emulator time, as through ARM). Returns the
        control API's view of the deployment (name, model, sku, provisioning_state, deleted_at…)."""
        body: dict[str, Any] = {"api_key": api_key or self.api_key, "name": name, "model": model, "sku": sku,
                                "capacity": capacity, "ready": not provision}
        if version is not None:
            body["version"] = version
        return self._control("POST", "/_emulator/azure/deployments", body)

    def deployments(self, *, api_key: str | None = None) -> list[dict[str, Any]]:
        """The Azure resource's deployments (those the clock rules have not deleted)."""
        query = urlencode({"api_key": api_key or self.api_key})
        data: list[dict[str, Any]] = self._control("GET", "/_emulator/azure/deployments?" + query)["data"]
        return data

    def undeploy(self, name: str, *, api_key: str | None = None) -> None:
        """Delete a deployment (the model stays); ControlError when there is none of that name."""
        query = urlencode({"api_key": api_key or self.api_key})
        self._control("DELETE", f"/_emulator/azure/deployments/{name}?" + query)

    def bind_azure_account(self, account: str, *, api_key: str | None = None) -> dict[str, Any]:
        """Bind the ARM account name `account` to the Azure resource of `api_key` (default: the handle's),
        so ARM deployment calls carrying only an Entra bearer token reach it."""
        body = {"name": account, "api_key": api_key or self.api_key}
        return self._control("POST", "/_emulator/azure/accounts", body)

    def _scope(self, api_key: str | None) -> dict[str, str]:
        return {"api_key": api_key} if api_key else {}

    def _control(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A call to the control API, through the same app and transport the tests use (so it runs on the
        app's event loop, serialised with the requests it controls)."""
        if self._control_client is None:
            transport = self._inprocess_transport() if self.mode == "inprocess" else None
            self._control_client = httpx2.Client(
                base_url=self.url, timeout=self.timeout, transport=transport, verify=_no_tls()
            )
        response = self._control_client.request(method, path, json=body)
        payload: dict[str, Any] = response.json()
        if response.status_code >= 400:
            raise ControlError(response.status_code, payload.get("error") or {})
        return payload

    # -- webhooks --------------------------------------------------------------------------------------

    def webhook_receiver(
        self, *, api_key: str | None = None, event_types: tuple[str, ...] = (), name: str = "receiver"
    ) -> WebhookReceiver:
        """An in-process receiver with an endpoint for this tenant, subscribed to `event_types` (default:
        the fine-tuning job events)."""
        receiver = WebhookReceiver(f"{name}.webhooks.test")
        self.app.state.webhooks.register(receiver.host, receiver)
        body: dict[str, Any] = {"api_key": api_key or self.api_key, "url": receiver.url, "name": name}
        if event_types:
            body["event_types"] = list(event_types)
        endpoint = self._control("POST", "/_emulator/webhooks", body)
        receiver.secret, receiver.endpoint_id = endpoint["signing_secret"], endpoint["id"]
        return receiver

    def flush_webhooks(self, *, api_key: str | None = None) -> list[dict[str, Any]]:
        """Deliver every webhook due at the emulator's current time, wait for the answers, and return the
        tenant's delivery log (newest first)."""
        key = api_key or self.api_key
        self._control("POST", "/_emulator/webhooks/flush", {"api_key": key})
        query = urlencode({"limit": 1000, "api_key": key})
        log = self._control("GET", "/_emulator/webhooks/deliveries?" + query)
        deliveries: list[dict[str, Any]] = log["data"]
        return deliveries

    # -- the clock -------------------------------------------------------------------------------------

    def now(self) -> float:
        return self.state.now()

    def advance(self, duration: float | str) -> float:
        """Move the emulator's clock forward by seconds or a duration such as "90s", "5m", "1h30m"."""
        seconds = parse_duration(duration)
        self._perform("advance", {"seconds": seconds}, lambda: self.state.clock.advance(seconds))
        return self.state.clock.now()

    # -- the journal -----------------------------------------------------------------------------------

    def requests(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        status: int | None = None,
        api_key: str | None = None,
    ) -> list[JournalEntry]:
        """Journal entries, oldest first. `path` may be a glob (`/v1/fine_tuning/jobs/*`); `api_key`
        narrows to one tenant."""
        organization = self.state.organization(api_key).id if api_key else None
        return [
            e for e in self.state.journal.find(organization=organization) if _matches(e, method, path, status)
        ]

    def assert_called(
        self,
        method: str,
        path: str,
        *,
        times: int | None = None,
        status: int | None = None,
        api_key: str | None = None,
    ) -> list[JournalEntry]:
        """Assert `method path` was requested (exactly `times` times when given, else at least once).

        On failure the message lists near misses: the same path with another method or status, and
        similar paths. Returns the matching entries.
        """
        __tracebackhide__ = True
        found = self.requests(method, path, status=status, api_key=api_key)
        if (times is None and found) or (times is not None and len(found) == times):
            return found
        raise AssertionError(self._miss_report(method, path, status, api_key, times, len(found)))

    def assert_not_called(self, method: str, path: str, *, status: int | None = None) -> None:
        __tracebackhide__ = True
        self.assert_called(method, path, times=0, status=status)

    def clear_requests(self) -> None:
        self._perform("clear_requests", {}, self.state.journal.clear)

    # -- durable state ---------------------------------------------------------------------------------

    def preload(self, path: str | Path) -> dict[str, dict[str, list[str]]]:
        """Load a fixture file (objects with chosen ids); all or nothing, `FixtureError` naming file, line
        and field when it is invalid. Journaled like any request when the emulator has a data directory."""
        from .store.fixtures import fixture_payload, load_fixture

        payload = fixture_payload(path)
        loaded: dict[str, dict[str, list[str]]] = self._perform(
            "fixture", payload, lambda: load_fixture(self.state, payload)
        )
        return loaded

    def _perform(self, name: str, payload: dict[str, Any], direct: Callable[[], Any]) -> Any:
        """Change state the way the test asked: directly in memory, or journaled when state is durable."""
        store = self.state.store
        return store.perform(name, payload) if store is not None else direct()

    def _miss_report(
        self, method: str, path: str, status: int | None, api_key: str | None, times: int | None, count: int
    ) -> str:
        wanted = f"{method.upper()} {path}" + (f" -> {status}" if status is not None else "")
        expected = "at least once" if times is None else _times(times)
        lines = [f"expected {wanted} to be requested {expected}, but it was requested {_times(count)}."]
        entries = self.requests(api_key=api_key)
        near = [e for e in entries if _near(e, method, path, status)]
        if near:
            lines.append("Near misses:")
            lines += [f"  {_describe(e)}   ({_why(e, method, path, status)})" for e in near[:20]]
        if entries:
            lines.append(f"All {len(entries)} request(s) in the journal:")
            lines += [f"  {_describe(e)}" for e in entries[-30:]]
        else:
            lines.append(
                "The journal is empty: no request reached the emulator"
                + (" with that API key." if api_key else ".")
            )
        return "\n".join(lines)

    @property
    def polling_hint(self) -> str | None:
        """Set when a job was polled many times on a frozen virtual clock: how to move time instead."""
        return self.state.polling_hint

    # -- server-side errors ----------------------------------------------------------------------------

    def check(self) -> None:
        """Raise `EmulatorServerError` if the emulator raised while serving (or its server thread died), or,
        with `contract="strict"`, if a body it accepted or sent violated OpenAI's contract."""
        if self._server is not None:
            self._server.check()
        elif self._trap is not None:
            self._trap.check()
        report: ContractReport = self.app.state.contract
        violations = report.take()
        if violations and report.mode == "strict":
            raise EmulatorServerError(format_violations(violations))

    def take_observations(self) -> list[Observation]:
        """What the clients did since the last reset (for the coverage report), forgotten."""
        log: ObservationLog = self.app.state.observations
        return log.take()

    def take_errors(self) -> list[BaseException]:
        """The exceptions the app raised since the last check, forgotten (for tests that expect one)."""
        return [exc for _, exc, _ in self._trap.take()] if self._trap is not None else []


def _as_job(body: dict[str, Any]) -> Any:
    """The SDK's FineTuningJob when the SDK is installed, else the JSON body."""
    try:
        from openai.types.fine_tuning import FineTuningJob
    except ImportError:  # pragma: no cover - openai is only a test extra
        return body
    return FineTuningJob.model_validate(body)


def _routed(base: type[Any], make_transport: Callable[[], object]) -> type[Any]:
    """A subclass of openai's default HTTP client wrapper that sends in-process URLs into the app."""

    class Routed(base):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:
            if str(kwargs.get("base_url", "")).startswith(INPROCESS_URL):
                kwargs.setdefault("transport", make_transport())
            super().__init__(**kwargs)

    Routed.__name__ = Routed.__qualname__ = base.__name__
    return Routed


def _plain_http(kwargs: dict[str, Any]) -> None:
    """A client that only speaks plain http to the emulator gets the shared `_no_tls` context instead
    of building its own: httpx loads the system CA bundle for every client it makes (~20 ms), which for
    a loopback socket is most of a test's setup. Each client still has its own connection pool."""
    if "transport" not in kwargs and str(kwargs.get("base_url", "")).startswith("http://"):
        kwargs.setdefault("verify", _no_tls())


@functools.cache
def _no_tls() -> ssl.SSLContext:
    """One TLS context for clients of plain-http URLs: it never carries a connection (the URL has no
    TLS), and it trusts no certificate authority, so a redirect to https would fail rather than go
    unverified."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class _SharedTransport(httpx2.BaseTransport):
    """Many clients share the app's test transport; closing one client must not close it.

    It also gives in-process requests what a socket would: the client's read timeout (the response and
    each body chunk are awaited on a worker thread, so a stalled app raises `httpx2.ReadTimeout`), and a
    scenario's simulated drop becomes the connection error a client sees.
    """

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self._inner = inner
        self._pool = ThreadPoolExecutor(max_workers=64, thread_name_prefix="emulator-inprocess")

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        read_timeout = (request.extensions.get("timeout") or {}).get("read")
        try:
            if read_timeout is None:
                return self._inner.handle_request(request)
            response = _wait(self._pool.submit(self._inner.handle_request, request), read_timeout, request)
        except ConnectionDropped as exc:  # what a client sees when a scenario drops the connection
            raise httpx2.RemoteProtocolError("Server disconnected without sending a response.") from exc
        stream = response.stream
        assert isinstance(stream, httpx2.SyncByteStream)
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=_TimedStream(stream, self._pool, read_timeout, request),
            extensions=response.extensions,
            request=request,
        )

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _wait(future: Future[Any], timeout: float, request: httpx2.Request) -> Any:
    try:
        return future.result(timeout)
    except FutureTimeout:
        raise httpx2.ReadTimeout(
            f"the emulator did not answer within {timeout:g} s", request=request
        ) from None


class _TimedStream(httpx2.SyncByteStream):
    def __init__(
        self, inner: httpx2.SyncByteStream, pool: ThreadPoolExecutor, timeout: float, request: httpx2.Request
    ) -> None:
        self._inner, self._pool, self._timeout, self._request = inner, pool, timeout, request

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._inner)
        while True:
            chunk = _wait(self._pool.submit(next, chunks, None), self._timeout, self._request)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _ThreadedAsyncTransport(httpx2.AsyncBaseTransport):
    """Async requests into the in-process app, run on the app's own event loop thread (via a worker
    thread), so the app never runs on two loops and streaming responses stay streams."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        import anyio.to_thread

        await request.aread()
        response = await anyio.to_thread.run_sync(self._inner.handle_request, request)
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=_AsyncIter(response),
            extensions=response.extensions,
            request=request,
        )


class _AsyncIter(httpx2.AsyncByteStream):
    def __init__(self, response: httpx2.Response) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        import anyio.to_thread

        chunks = self._response.iter_raw()
        while True:
            chunk = await anyio.to_thread.run_sync(next, chunks, None)
            if chunk is None:
                return
            yield chunk

    async def aclose(self) -> None:
        import anyio.to_thread

        await anyio.to_thread.run_sync(self._response.close)


def _plain(value: object) -> object:
    return dict(value) if isinstance(value, Mapping) else list(value)  # type: ignore[call-overload]


def _matches(entry: JournalEntry, method: str | None, path: str | None, status: int | None) -> bool:
    return (
        (method is None or entry.method == method.upper())
        and (path is None or entry.path == path or fnmatch.fnmatchcase(entry.path, path))
        and (status is None or entry.status == status)
    )


def _near(entry: JournalEntry, method: str, path: str, status: int | None) -> bool:
    same_path = _matches(entry, None, path, None)
    if same_path:
        return True  # another method or status
    return difflib.SequenceMatcher(None, entry.path, path).ratio() >= 0.75


def _why(entry: JournalEntry, method: str, path: str, status: int | None) -> str:
    reasons = []
    if entry.method != method.upper():
        reasons.append(f"method {entry.method}")
    if not _matches(entry, None, path, None):
        reasons.append(f"path {entry.path}")
    if status is not None and entry.status != status:
        reasons.append(f"status {entry.status}")
    return "differs in " + ", ".join(reasons) if reasons else "matches"


def _describe(entry: JournalEntry) -> str:
    query = "?" + "&".join(f"{k}={v}" for k, v in entry.query.items()) if entry.query else ""
    rule = f"  [rule {entry.rule}]" if entry.rule else ""
    return f"{entry.method} {entry.path}{query} -> {entry.status}{rule}"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"
