"""The app factory: the only place that knows every route. Nothing app-shaped exists at import time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from .api import arm as arm_api
from .api import (
    chat,
    completions,
    control,
    files,
    fine_tuning,
    legacy_fine_tunes,
    models,
    moderations,
    uploads,
    webhooks,
)
from .api import graders as grader_api
from .api import lifecycle as lifecycle_api
from .api import permissions as permission_api
from .api import scenarios as scenario_api
from .api import store as store_api
from .api.azure import checkpoint_copy
from .api.azure import imports as azure_imports
from .api.azure.dialect import AzureDialect
from .api.azure.routing import DeploymentRouting
from .api.coverage import routes as coverage_routes
from .api.readiness import routes as readiness_routes
from .clock import Clock
from .contract.check import ContractCheck, ContractReport
from .coverage.observe import ObservationLog, Observer
from .dashboard import routes as dashboard_routes
from .domain.state import Emulator
from .errors import APIError
from .middleware import OpenAIEdge
from .rendering import handle_api_error, handle_http_exception, handle_unexpected
from .routing import IndexedRouter
from .scenarios.middleware import ConnectionFaults, ScenarioMiddleware
from .settings import Settings
from .store import Recorder, Store
from .store.fixtures import preload_startup
from .webhook_dispatcher import WebhookDispatcher

__all__ = ["create_app"]


def _routes() -> list[BaseRoute]:
    return [*azure_imports.routes(), *checkpoint_copy.routes(),  # Azure-only routes on the shared core
            *files.routes(), *uploads.routes(), *models.routes(), *chat.routes(), *completions.routes(),
            *fine_tuning.routes(), *legacy_fine_tunes.routes(), *moderations.routes(), *control.routes(),
            *scenario_api.routes(), *webhooks.routes(), *permission_api.routes(), *grader_api.routes(),
            *lifecycle_api.routes(control.PREFIX),
            *coverage_routes(), *readiness_routes(),
            *store_api.routes(), *arm_api.routes()]


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Starlette:
    """Build an emulator app with its own state; two apps never share anything."""
    settings = settings or Settings()
    emulator = Emulator(settings, clock)
    contract = ContractReport(settings.contract)
    observations = ObservationLog(settings.journal_limit)
    dispatcher = WebhookDispatcher(emulator)
    store = _open_store(emulator)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        delivering = asyncio.get_running_loop().create_task(dispatcher.run())
        try:
            yield
        finally:
            delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivering
            emulator.close()

    app = Starlette(
        routes=[*_routes(), *dashboard_routes(settings.control_key)],
        middleware=[
            Middleware(ConnectionFaults),  # outside the edge: drops happen after the journal has the request
            Middleware(Observer, log=observations),  # what the client did, for the coverage report
            Middleware(ContractCheck, report=contract),  # sees the final body, request id included
            *([Middleware(Recorder, store=store)] if store is not None else []),  # journals, then answers
            Middleware(AzureDialect, emulator=emulator),  # /openai/...: Azure's checks, tenant and answers
            Middleware(OpenAIEdge, emulator=emulator),
            Middleware(DeploymentRouting, emulator=emulator),  # Azure inference: deployment -> model
            Middleware(ScenarioMiddleware, emulator=emulator),  # inside the edge: the tenant is known
            Middleware(lifecycle_api.LifecycleWarnings),  # `unrestricted`: what the real calendar refuses
        ],
        exception_handlers={
            APIError: handle_api_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
        lifespan=lifespan,
    )
    # the same routes, tried in the same order, but only those a path's shape could match
    app.router = IndexedRouter(app.router.routes, redirect_slashes=False, lifespan=lifespan)
    app.state.emulator = emulator
    app.state.contract = contract
    app.state.observations = observations
    app.state.webhooks = dispatcher
    if store is not None or settings.preload:
        _restore(app, emulator, store)
    return app


def _open_store(emulator: Emulator) -> Store | None:
    if not emulator.settings.data_dir:
        return None
    emulator.store = Store(emulator, emulator.settings.data_dir)
    return emulator.store


def _restore(app: Starlette, emulator: Emulator, store: Store | None) -> None:
    """Replay the data directory's journal, then load startup fixtures not loaded before."""
    try:
        if store is not None:
            store.load(app)
        preload_startup(emulator)
    except BaseException:
        emulator.close()
        raise
