"""The emulator's whole state: settings, clock, blobs, journal and one isolated Tenant per organization."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..clock import PINNED, Clock, make_clock
from ..ids import IdFactory
from ..scenarios.engine import ScenarioEngine
from ..scenarios.library import find_scenario, load_scenario
from ..scenarios.ratelimit import Limits
from ..settings import Settings
from .blobs import BlobStore
from .collection import Collection
from .files import FileRecord
from .jobs.store import JobStore
from .jobscript import JobScript
from .journal import Journal
from .models import ModelRecord
from .permissions import Permission
from .stored import StoredCompletion
from .tenancy import Organization, organization_for
from .uploads import UploadRecord
from .webhooks import Outbox
from .webhooks.settings import default_endpoints, startup_secret

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["Emulator", "Tenant"]


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
        self.webhooks = Outbox(
            IdFactory(seed, organization.id + "/webhooks"), organization.id, organization.name
        )
        self.jobs.observers.append(self.webhooks.observe)
        self.completions: Collection[StoredCompletion] = Collection()  # chat completions sent with store
        self.permissions: Collection[Permission] = Collection()  # checkpoint grants to other projects

    def settle(self, now: float) -> None:
        """Bring state that is derived from the clock (job progress, expiries) up to `now` before a read:
        jobs that have succeeded by now get their result file and fine-tuned model registered. Costs a heap
        peek when nothing is due."""
        self.jobs.settle(now)


class Emulator:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.seed = settings.seed
        self.clock: Clock = clock or make_clock(settings.clock, start=settings.start_time, speed=settings.speed)
        self.blobs = BlobStore(settings.spool_threshold)
        self.journal = Journal(settings.journal_limit)
        self.ids = IdFactory(self.seed, "")
        self._tenants: dict[str, Tenant] = {}
        self._lock = threading.Lock()
        self.store: Store | None = None  # the data directory, when state is durable
        limits = Limits(settings.rate_limit_requests, settings.rate_limit_tokens, settings.max_active_jobs,
                        settings.jobs_per_day)
        self.scenarios = ScenarioEngine(
            self.seed, self.now, limits, library=lambda name: find_scenario(name, settings.scenario_dir or None)
        )
        for path in settings.scenarios:  # a bad file fails here, at startup, with its line and key path
            self.scenarios.add_startup(load_scenario(path))
        self.webhook_secret = startup_secret(settings)  # a bad URL or secret fails here, at startup

    def now(self) -> float:
        pinned = PINNED.get()
        return self.clock.now() if pinned is None else pinned

    def organization(self, api_key: str) -> Organization:
        return organization_for(api_key, self.settings.organizations)

    def tenant(self, api_key: str) -> Tenant:
        org = self.organization(api_key)
        with self._lock:
            tenant = self._tenants.get(org.id)
            if tenant is None:
                tenant = self._tenants[org.id] = Tenant(org, self.seed)
                tenant.jobs.bind(self)
                default_endpoints(tenant.webhooks, self.settings, self.webhook_secret, self.now())
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
        self.journal.clear(organization_id)
        if organization_id is None:
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

    def reseed(self, seed: int) -> None:
        self.seed = seed
        self.scenarios.seed = seed
        self.reset()

    def close(self) -> None:
        self.blobs.close()
        if self.store is not None:
            self.store.close()
            self.store = None
