"""/_emulator/snapshot and /_emulator/fixtures: save and load worlds, declare objects with chosen ids."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..errors import InvalidRequestError
from ..store import Store, StoreError
from ..store.database import SCHEMA_VERSION
from ..store.fixtures import FixtureError, load_fixture
from ..store.snapshot import load_snapshot, save_snapshot
from .common import control_scope, emulator, ok

__all__ = ["routes"]

PREFIX = "/_emulator"


def _store(request: Request) -> Store:
    store = emulator(request).store
    if store is None:
        raise InvalidRequestError(
            "Snapshots need durable state: start the emulator with --data-dir DIR (setting data_dir)."
        )
    return store


async def info(request: Request) -> Response:
    store = emulator(request).store
    if store is None:
        return ok({"durable": False})
    return ok(
        {
            "durable": True,
            "data_dir": str(store.db.directory),
            "schema_version": SCHEMA_VERSION,
            "entries": store.db.count(),
        }
    )


async def get_snapshot(request: Request) -> Response:
    store = _store(request)
    target = control_scope(request)
    data = save_snapshot(store, target.organization.id if target else None)
    return Response(data, media_type="application/vnd.sqlite3")


async def put_snapshot(request: Request) -> Response:
    store = _store(request)
    try:
        loaded = await load_snapshot(request.app, store, await request.body())
    except StoreError as exc:
        raise InvalidRequestError(str(exc)) from None
    return ok({"object": "snapshot", **loaded})


async def post_fixture(request: Request) -> Response:
    """Load a fixture: raw YAML, or JSON `{"yaml": ..., "name": ..., "attachments": {path: base64}}`."""
    raw = await request.body()
    payload: dict[str, Any]
    try:
        parsed = json.loads(raw)
        payload = parsed if isinstance(parsed, dict) and "yaml" in parsed else {"yaml": raw.decode()}
    except (ValueError, UnicodeDecodeError):
        payload = {"yaml": raw.decode("utf-8", "replace")}
    try:
        loaded = load_fixture(emulator(request), payload)
    except FixtureError as exc:
        first = exc.problems[0]
        error = {
            "message": str(exc),
            "type": "invalid_request_error",
            "param": first.path or None,
            "code": "invalid_fixture",
            "errors": [
                {"file": p.source, "line": p.line, "field": p.path, "message": p.problem}
                for p in exc.problems
            ],
        }
        return JSONResponse({"error": error}, status_code=400)
    return ok({"object": "fixture", "loaded": loaded})


def routes() -> list[BaseRoute]:
    return [
        Route(f"{PREFIX}/store", info, methods=["GET"]),
        Route(f"{PREFIX}/snapshot", get_snapshot, methods=["GET"]),
        Route(f"{PREFIX}/snapshot", put_snapshot, methods=["PUT"]),
        Route(f"{PREFIX}/fixtures", post_fixture, methods=["POST"]),
    ]
