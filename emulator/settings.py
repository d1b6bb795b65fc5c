"""Settings: every knob of an emulator instance, loadable from keyword arguments or `EMULATOR_*` variables."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Settings"]

MB = 1024 * 1024
GB = 1024 * MB


@dataclass(frozen=True)
class Settings:
    """How one emulator behaves. Frozen: derive variants with `dataclasses.replace` or `with_overrides`."""

    seed: int = 0
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    log_format: str = "text"  # the dev server's logs: "text" or "json" (one object per line)
    # "virtual" only moves when told; "auto" is virtual but also moves when a client polls an unfinished
    # job (the pytest plugin's default); "real" follows the wall clock times `speed` (dev server).
    clock: str = "virtual"
    speed: float = 1.0
    # Unix time the virtual clock starts at: 2025-01-01T00:00:00Z.
    start_time: float = 1_735_689_600.0
    # Allow-list of API keys; empty means every key is accepted and becomes its own tenant.
    api_keys: tuple[str, ...] = ()
    # Lenient mode: unknown ids of the right prefix are materialized on first reference, placeholder values
    # from generated suites are accepted (see README "Lenient mode"). Strict (False) is OpenAI's behaviour.
    lenient: bool = False
    # Admin keys beside those starting with `sk-admin-` (checkpoint permissions need one).
    admin_keys: tuple[str, ...] = ()
    # API key -> organization name; keys mapped to the same name share one tenant.
    organizations: Mapping[str, str] = field(default_factory=dict)
    # Azure resource (account) name -> API key: ARM deployment calls that carry only an Entra bearer token
    # reach that key's Azure tenant through the `{account}` segment of their path (`--azure-account NAME=KEY`).
    azure_accounts: Mapping[str, str] = field(default_factory=dict)
    max_file_bytes: int = 512 * MB
    max_upload_bytes: int = 8 * GB
    max_part_bytes: int = 64 * MB
    # Blobs above this many bytes are spooled to a temporary directory instead of RAM.
    spool_threshold: int = 1 * MB
    # Threads that validate training files off the event loop (file-sized work runs there, never inline).
    workers: int = 2
    # Request-body limits of every JSON endpoint: total bytes and nesting depth of arrays/objects.
    max_json_bytes: int = 32 * MB
    max_json_depth: int = 64
    # The request line and headers together; larger requests get a 400 before reaching the app.
    max_header_bytes: int = 64 * 1024
    journal_limit: int = 10_000
    # Per-tenant, per-minute buckets on the emulator clock (429s and truthful x-ratelimit-* headers); 0: off.
    rate_limit_requests: int = 10_000
    rate_limit_tokens: int = 10_000_000
    # Caps on fine-tuning jobs per tenant (active at once, created per day and model); 0: no cap.
    max_active_jobs: int = 0
    jobs_per_day: int = 0
    # How fine-tuning jobs progress by default: "time" (on the clock), "manual" (only when the clock is
    # advanced or a control call runs them) or "step-per-read" (each retrieve moves a job to its next status).
    job_progression: str = "time"
    # Scenario files (YAML, or library names such as "flaky_network") active for every tenant from startup;
    # they survive resets.
    scenarios: tuple[str, ...] = ()
    # Key the dashboard asks of clients that are not on loopback (empty: only loopback clients get in).
    control_key: str = ""
    # An extra directory searched first for scenarios named in X-Emulator-Scenario or the control API.
    scenario_dir: str = ""
    # The real service's calendar: "unrestricted" serves every model whatever the date (and warns where
    # OpenAI would refuse); "openai" enforces shutdown dates and the fine-tuning wind-down on the clock.
    lifecycle: str = "unrestricted"
    # Check every JSON body against OpenAI's OpenAPI contract (shipped in the package): "off", "warn" (log
    # and flag the response with an x-emulator-contract-violation header) or "strict" (also turn the
    # response into a 500 naming the violation; the pytest plugin fails the test).
    contract: str = "warn"
    # Webhook endpoints every tenant starts with (`--webhook URL`), for fine-tuning job events, signed
    # with `webhook_secret` (`whsec_` + base64; derived from the seed when empty). Deliveries go only to
    # loopback hosts unless the host is in `webhook_allow_hosts` ("*": any host).
    webhooks: tuple[str, ...] = ()
    webhook_secret: str = ""
    webhook_allow_hosts: tuple[str, ...] = ()
    # Seconds a receiver has to answer before the attempt counts as failed and is retried.
    webhook_timeout: float = 10.0
    # Keep all state in this directory (a journal of requests replayed on start); empty: in memory only.
    data_dir: str = ""
    # Hosts an Azure file import (`content_url`) may fetch from besides file:// and loopback ("*": any).
    azure_import_hosts: tuple[str, ...] = ()
    # Fixture files (YAML worlds with chosen ids) loaded at startup, once per data directory.
    preload: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, prefix: str = "EMULATOR_", environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read `<prefix><FIELD>` variables (JSON-decoded when possible, as Flask does); overrides win."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(prefix + f.name.upper())
            if raw is not None:
                values[f.name] = _decode(raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.build(**values)

    @classmethod
    def build(cls, **values: Any) -> Settings:
        """Construct from loosely typed values (strings from the shell, lists from JSON), checking each."""
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
        return cls(**{k: _coerce(names[k], v) for k, v in values.items()})

    def with_overrides(self, **values: Any) -> Settings:
        current = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        current.update(values)
        return type(self).build(**current)

    def __post_init__(self) -> None:
        if self.clock not in ("virtual", "auto", "real"):
            raise ValueError(f"clock must be 'virtual', 'auto' or 'real', not {self.clock!r}")
        if self.speed <= 0:
            raise ValueError("speed must be positive")
        if self.lifecycle not in ("unrestricted", "openai"):
            raise ValueError(f"lifecycle must be 'unrestricted' or 'openai', not {self.lifecycle!r}")
        if self.log_format not in ("text", "json"):
            raise ValueError(f"log_format must be 'text' or 'json', not {self.log_format!r}")
        if self.contract not in ("off", "warn", "strict"):
            raise ValueError(f"contract must be 'off', 'warn' or 'strict', not {self.contract!r}")
        if self.webhook_timeout <= 0:
            raise ValueError("webhook_timeout must be positive")
        if self.job_progression not in ("time", "manual", "step-per-read"):
            raise ValueError(
                f"job_progression must be 'time', 'manual' or 'step-per-read', not {self.job_progression!r}"
            )


def _decode(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _coerce(f: dataclasses.Field[Any], value: Any) -> Any:
    kind = str(f.type)
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "str":
            return str(value)
        if kind == "bool":
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if kind.startswith("tuple"):
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
        if kind.startswith("Mapping"):
            return dict(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"setting {f.name!r}: cannot use {value!r} ({exc})") from None
    return value
