"""Snapshots: one portable SQLite file holding the journal (all tenants, or one) and the blobs it names.

A snapshot is the journal that builds a world, so loading one replays it: the tenant's state (or every
tenant's) is replaced by what the snapshot's requests produce, objects keep the times they were made at,
and the clock only ever moves forward: to the snapshot's time when it is behind, never back.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp

from .. import __version__
from ..domain.state import Emulator
from ..domain.tenancy import authenticate
from ..errors import APIError
from .database import Entry, StoreError, write_blob
from .recorder import Store, differences, fingerprint
from .replay import FULL_RESETS, replay

__all__ = ["load_snapshot", "save_snapshot"]

_GLOBAL_CLOCK = ("/_emulator/clock", "/_emulator/clock/advance")


def _tenant_of(em: Emulator, entry: Entry) -> str | None:
    """The organization an entry acts for; None when it acts for every tenant."""
    if entry.kind == "op":
        payload = json.loads(entry.body or b"{}")
        return payload.get("organization") if isinstance(payload, dict) else None
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in entry.headers}
    if entry.path.startswith("/subscriptions/"):  # ARM deployment calls: an Azure resource's (key or account)
        account = entry.path.split("/accounts/", 1)[-1].split("/", 1)[0]
        key = headers.get("api-key") or em.azure_accounts.key_for(account)
        return em.organization(key, "azure").id if key else "-"
    source: dict[str, Any] = dict(parse_qsl(entry.query.decode("latin-1")))
    if entry.path.startswith("/_emulator/") and entry.body and entry.body.lstrip().startswith(b"{"):
        try:
            source.update(json.loads(entry.body))
        except ValueError:
            pass
    if source.get("organization"):
        return str(source["organization"])
    key = source.get("api_key")
    if not key and (entry.path.startswith("/v1") or headers.get("authorization")):
        try:
            key = authenticate(headers.get("authorization"), ())
        except APIError:
            return "-"  # an unauthenticated request: nobody's state
    if key and entry.path.startswith("/_emulator/azure/"):
        return em.organization(str(key), "azure").id
    return em.organization(str(key)).id if key else None


def _for_tenant(em: Emulator, entries: list[Entry], organization: str) -> Iterator[Entry]:
    """The entries that shaped one tenant, global control calls narrowed to it."""
    kept: list[Entry] = []
    for entry in entries:
        owner = _tenant_of(em, entry)
        if owner is None and (
            entry.path in FULL_RESETS or entry.path in ("/_emulator/reset", "/_emulator/seed")
        ):
            kept = []  # everything before a full reset no longer matters
            continue
        if owner == organization:
            kept.append(entry)
        elif owner is None and entry.kind == "http" and entry.path not in _GLOBAL_CLOCK:
            query = urlencode([*parse_qsl(entry.query.decode("latin-1")), ("organization", organization)])
            kept.append(replace(entry, query=query.encode("latin-1")))
        elif owner is None and entry.kind == "op" and entry.path in ("clear_requests", "use_scenario"):
            body = {**json.loads(entry.body or b"{}"), "organization": organization}
            kept.append(replace(entry, body=json.dumps(body).encode()))
        elif entry.path == "fixture" and entry.kind == "op":
            kept.append(replace(entry, body=json.dumps(_fixture_part(em, entry, organization)).encode()))
    yield from kept


def _fixture_part(em: Emulator, entry: Entry, organization: str) -> dict[str, Any]:
    """A fixture op cut down to the tenants of one organization."""
    from ..scenarios._source import read_yaml

    payload = json.loads(entry.body or b"{}")
    data, _ = read_yaml(str(payload.get("yaml") or ""), "<fixture>")
    tenants = [
        t for t in data.get("tenants", [])
        if em.organization(str(t.get("api_key")), "azure" if t.get("dialect") == "azure" else "openai").id
        == organization
    ]
    return {**payload, "yaml": json.dumps({"tenants": tenants})}


def save_snapshot(store: Store, organization: str | None) -> bytes:
    """The journal (one organization's share, or all of it) with its blobs, as one SQLite file."""
    em = store.emulator
    entries = store.db.entries()
    if organization is not None:
        entries = list(_for_tenant(em, entries, organization))
    fd, path = tempfile.mkstemp(suffix=".snapshot")
    os.close(fd)
    try:
        db = sqlite3.connect(path)
        with db:
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute(
                "CREATE TABLE entries (seq INTEGER PRIMARY KEY, at REAL, kind TEXT, method TEXT, "
                "path TEXT, query BLOB, headers TEXT, body BLOB, blob TEXT, disconnected INTEGER)"
            )
            db.execute("CREATE TABLE blobs (digest TEXT PRIMARY KEY, data BLOB NOT NULL)")
            meta = {
                "format": "openai-emulator-snapshot/1",
                "emulator_version": __version__,
                "seed": em.seed,
                "settings": fingerprint(em.settings),
                "organization": organization,
                "time": em.now(),
            }
            db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
            for e in entries:
                db.execute(
                    "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        e.seq,
                        e.at,
                        e.kind,
                        e.method,
                        e.path,
                        e.query,
                        json.dumps([[k.decode("latin-1"), v.decode("latin-1")] for k, v in e.headers]),
                        e.body,
                        e.blob,
                        int(e.disconnected),
                    ),
                )
                if e.blob is not None:
                    data = store.db.blob_path(e.blob).read_bytes()
                    db.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?)", (e.blob, data))
        db.close()
        return Path(path).read_bytes()
    finally:
        os.unlink(path)


def _read(data: bytes, blob_dir: Path) -> tuple[dict[str, Any], list[Entry]]:
    fd, path = tempfile.mkstemp(suffix=".snapshot")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    try:
        db = sqlite3.connect(path)
        try:
            meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
            rows = db.execute(
                "SELECT seq, at, kind, method, path, query, headers, body, blob, disconnected "
                "FROM entries ORDER BY seq"
            ).fetchall()
            for digest, blob in db.execute("SELECT digest, data FROM blobs"):
                if not (blob_dir / digest).exists():
                    write_blob(blob_dir, bytes(blob))
        finally:
            db.close()
    except sqlite3.DatabaseError:
        raise StoreError(
            "not an emulator snapshot (expected the file `emulator snapshot save` writes)"
        ) from None
    finally:
        os.unlink(path)
    if meta.get("format") != "openai-emulator-snapshot/1":
        raise StoreError("not an emulator snapshot (expected the file `emulator snapshot save` writes)")
    entries = [
        Entry(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            bytes(r[5]),
            [(k.encode("latin-1"), v.encode("latin-1")) for k, v in json.loads(r[6])],
            None if r[7] is None else bytes(r[7]),
            r[8],
            bool(r[9]),
        )
        for r in rows
    ]
    return meta, entries


async def load_snapshot(app: ASGIApp, store: Store, data: bytes) -> dict[str, Any]:
    """Replace one tenant's state (or everyone's) with the snapshot's; returns what was loaded."""
    em = store.emulator
    meta, entries = _read(data, store.blob_dir)
    if meta.get("emulator_version") != __version__:
        raise StoreError(
            f"snapshot written by emulator {meta.get('emulator_version')}; this is {__version__}"
        )
    changed = differences(meta.get("settings") or {}, fingerprint(em.settings), ignore=("seed",))
    if changed or meta.get("seed") != em.seed:
        raise StoreError(
            f"snapshot written with other settings: {changed or 'seed'}; load it into an emulator "
            "started with the same settings"
        )
    organization = meta.get("organization")
    em.reset(organization)
    await replay(app, em, entries, store.blob_dir)
    behind = float(meta.get("time") or 0) - em.clock.now()
    if behind > 0:
        em.clock.advance(behind)
    return {"organization": organization or "all", "entries": len(entries), "time": em.now()}
