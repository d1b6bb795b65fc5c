"""The emulator's whole state: settings, clock, blobs, journal and one isolated Tenant per organization."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..clock import PINNED, Clock, RealClock, make_clock
from ..ids import IdFactory
from ..scenarios.engine import ScenarioEngine
from ..scenarios.library import find_scenario, load_scenario
from ..scenarios.ratelimit import Limits
from ..settings import Settings
from .azure_accounts import AccountBindings
from .azure_files import settle_files
from .blobs import BlobStore
from .calendar import Calendar, History, LifecycleSpec
from .collection import Collection
from .deployments import Deployments
from .files import FileRecord
from .jobs.store import JobStore
from .jobscript import JobScript
from .journal import Journal
from .models import ModelRecord, find_model
from .permissions import Permission
from .stored import StoredCompletion
from .tenancy import Dialect, Organization, organization_for
from .uploads import UploadRecord
from .webhooks import Outbox
from .webhooks.settings import default_endpoints, startup_secret
from .workers import Workers

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["Emulator", "Tenant"]

_REMEMBERED_KEYS = 4096  # organizations remembered per API key (cleared when full)


class Tenant:
    """Everything one organization owns. All of it is built here, so a reset can't miss anything."""

    def __init__(self, organization: Organization, seed: int) -> None:
        self.organization = organization
        self.ids = IdFactory(seed, organization.id)
        self.lock = threading.RLock()
        self.files: Collection[FileRecord] = Collection()
        self.uploads: Collection[UploadRecord] = Collection()
        self.models: Collection[ModelRecord] = Collection()
        self.jobs = JobStore(self)
        self.history = History()  # what the fine-tuning wind-down rules look at
        self.lifecycle = LifecycleSpec()  # this tenant's control-API overrides
        self.webhooks = Outbox(
            IdFactory(seed, organization.id + "/webhooks"), organization.id, organization.name
        )
        self.jobs.observers.append(self.webhooks.observe)
        self.completions: Collection[StoredCompletion] = Collection()  # chat completions sent with store
        self.permissions: Collection[Permission] = Collection()  # checkpoint grants to other projects
        self.api_keys: set[str] = set()  # every key seen for this organization (the dashboard masks them)
        self.files_processing: list[FileRecord] = []  # an Azure resource's files still being processed
        # Azure resources serve models through named deployments (domain/deployments.py); empty for OpenAI orgs.
        self.deployments = Deployments(lambda name: find_model(self, name))

    @property
    def dialect(self) -> Dialect:
        return self.organization.dialect

    def counts(self) -> dict[str, int]:
        """How many objects the tenant holds, by kind (cheap: no scans)."""
        return {"files": len(self.files), "uploads": len(self.uploads), "jobs": len(self.jobs.jobs),
                "models": len(self.models), "stored_completions": len(self.completions)}

    def settle(self, now: float) -> None:
        """Bring state that is derived from the clock (job progress, expiries) up to `now` before a read:
        jobs that have succeeded by now get their result file and fine-tuned model registered. Costs a heap
        peek when nothing is due."""
        self.jobs.settle(now)
        if self.files_processing:
            settle_files(self, now)


class Emulator:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.seed = settings.seed
        self.clock: Clock = clock or make_clock(settings.clock, start=settings.start_time, speed=settings.speed)
        self.blobs = BlobStore(settings.spool_threshold)
        self.workers = Workers(settings.workers)
        self.journal = Journal(settings.journal_limit)
        self.ids = IdFactory(self.seed, "")
        self._tenants: dict[str, Tenant] = {}
        self._organizations: dict[tuple[str, Dialect], Organization] = {}
        self._organization_names: Mapping[str, str] | None = None
        # Set when a job is polled on a frozen virtual clock (domain/jobs/polling.py); the plugin shows it.
        self.polling_hint: str | None = None
        self._lock = threading.Lock()
        self.store: Store | None = None  # the data directory, when state is durable
        limits = Limits(settings.rate_limit_requests, settings.rate_limit_tokens, settings.max_active_jobs,
                        settings.jobs_per_day)
        self.scenarios = ScenarioEngine(
            self.seed, self.now, limits, library=lambda name: find_scenario(name, settings.scenario_dir or None)
        )
        self.lifecycle = LifecycleSpec()  # emulator-wide control-API overrides
        self.azure_accounts = AccountBindings(settings.azure_accounts)  # ARM account name -> Azure key
        for path in settings.scenarios:  # a bad file fails here, at startup, with its line and key path
            self.scenarios.add_startup(load_scenario(path))
        self.webhook_secret = startup_secret(settings)  # a bad URL or secret fails here, at startup

    def now(self) -> float:
        pinned = PINNED.get()
        return self.clock.now() if pinned is None else pinned

    def calendar(self, tenant: Tenant) -> Calendar:
        """The lifecycle in force for `tenant`: settings < global scenarios < emulator-wide overrides <
        the tenant's scenarios < the tenant's overrides."""
        shared, own = self.scenarios.lifecycle(tenant.organization.id)
        return Calendar.of([*shared, self.lifecycle, *own, tenant.lifecycle], self.settings.lifecycle)

    def organization(self, api_key: str, dialect: Dialect = "openai") -> Organization:
        """The key's organization: derived once per key (two digests and long divisions), then remembered
        for as long as the settings' organization names stay the same."""
        names = self.settings.organizations
        if names is not self._organization_names:
            self._organizations, self._organization_names = {}, names
        found = self._organizations.get((api_key, dialect))
        if found is None:
            if len(self._organizations) >= _REMEMBERED_KEYS:  # a client cycling keys can't grow it forever
                self._organizations = {}
            found = self._organizations[(api_key, dialect)] = organization_for(api_key, names, dialect)
        return found

    def tenant(self, api_key: str, dialect: Dialect = "openai") -> Tenant:
        org = self.organization(api_key, dialect)
        with self._lock:
            tenant = self._tenants.get(org.id)
            if tenant is None:
                tenant = self._tenants[org.id] = Tenant(org, self.seed)
                tenant.jobs.bind(self)
                if org.dialect == "openai":  # Azure OpenAI sends no fine-tuning webhooks
                    default_endpoints(tenant.webhooks, self.settings, self.webhook_secret, self.now())
            tenant.api_keys.add(api_key)
            return tenant

    def tenants(self) -> list[Tenant]:
        with self._lock:
            return list(self._tenants.values())

    def find_tenant(self, organization_id: str) -> Tenant | None:
        with self._lock:
            return self._tenants.get(organization_id)

    def reset(self, organization_id: str | None = None) -> None:
        """Forget every object (or one organization's). A full reset also puts the clock back as the
        settings configure it (a virtual clock rewinds to its start), so the same requests after a reset
        give the same bodies."""
        with self._lock:
            doomed = list(self._tenants.values()) if organization_id is None else (
                [self._tenants[organization_id]] if organization_id in self._tenants else []
            )
            for tenant in doomed:
                del self._tenants[tenant.organization.id]
        for tenant in doomed:
            for record in tenant.files:
                record.blob.discard()
            for upload in tenant.uploads:
                upload.discard_parts()
            tenant.jobs.abandon()  # analyses still running for forgotten jobs stop early
        self.journal.clear(organization_id)
        if organization_id is None:
            self.lifecycle = LifecycleSpec()
            self.azure_accounts.reset()
            self.polling_hint = None
            self.ids = IdFactory(self.seed, "")
            self.clock = make_clock(self.settings.clock, start=self.settings.start_time, speed=self.settings.speed)
        self.scenarios.reset(organization_id)

    def script_for_job(self, tenant: Tenant, request: dict[str, Any], active_jobs: int = 0) -> JobScript | None:
        """The active scenario's lifecycle script for a job being created from `request` (None: as usual).

        Call it once the request is known to be valid, just before the job is stored: it also enforces the
        job caps (`active_jobs` = the tenant's jobs in validating_files, queued, running or paused) and
        raises RateLimitError when one is reached.
        """
        org = tenant.organization
        return self.scenarios.job_script(org.id, org.name, request, active_jobs)

    def set_clock(self, mode: str, speed: float | None = None) -> Clock:
        """Switch between a virtual clock (paused: moves only when advanced; `auto` also moves for a client
        polling a job) and a real one (runs at `speed`), continuing from the current time either way."""
        now = self.now()
        speed = speed or getattr(self.clock, "speed", None) or self.settings.speed
        self.clock = RealClock(speed, start=now) if mode == "real" else make_clock(mode, start=now, speed=speed)
        return self.clock

    def next_event(self) -> float | None:
        """When the next job of any tenant next changes status (None: no job will by itself)."""
        now = self.now()
        upcoming = [
            t for tenant in self.tenants() for job in tenant.jobs.jobs
            if (t := job.timeline.next_milestone(now)) is not None and t != float("inf")
        ]
        return min(upcoming, default=None)

    def reseed(self, seed: int) -> None:
        self.seed = seed
        self.scenarios.seed = seed
        self.reset()

    def close(self) -> None:
        self.workers.close()
        self.blobs.close()
        if self.store is not None:
            self.store.close()
            self.store = None
