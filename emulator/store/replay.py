"""Feeding journaled requests back through the app: the same code path, the clock pinned to each entry's
recorded time, scenario waits skipped, responses discarded."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive

from ..clock import PAUSE, PINNED
from ..domain.state import Emulator
from .database import Entry
from .fixtures import load_fixture

__all__ = ["OPS", "REPLAYING", "apply_op", "body_chunks", "call_app", "replay"]

CHUNK = 64 * 1024
# Set while journaled requests are being replayed: the recorder lets them through without journaling.
REPLAYING: ContextVar[bool] = ContextVar("emulator_replaying", default=False)


def body_chunks(inline: bytes | None, digest: str | None, blob_dir: Path) -> Iterator[bytes]:
    """A journaled body, in chunks (a blob file is read as it is sent, never all at once)."""
    if digest is None:
        yield inline or b""
        return
    with open(blob_dir / digest, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _receive(chunks: Iterator[bytes], disconnected: bool) -> Receive:
    pending = iter(chunks)
    finished = False

    async def receive() -> Message:
        nonlocal finished
        if not finished:
            chunk = next(pending, None)
            if chunk is not None:
                return {"type": "http.request", "body": chunk, "more_body": True}
            finished = True
            return {"type": "http.request", "body": b"", "more_body": False}
        if disconnected:
            return {"type": "http.disconnect"}
        await asyncio.Event().wait()  # a client that stayed: only cancellation ends this wait
        return {"type": "http.disconnect"}

    return receive


async def _no_pause(seconds: float) -> None:
    return None


async def call_app(app: ASGIApp, entry: Entry, blob_dir: Path) -> None:
    """Run one journaled request through `app` at its recorded time; what the app answers is dropped."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": entry.method,
        "scheme": "http",
        "path": entry.path,
        "raw_path": entry.path.encode(),
        "query_string": entry.query,
        "root_path": "",
        "headers": list(entry.headers),
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 80),
    }

    async def discard(message: Message) -> None:
        return None

    with contextlib.suppress(Exception):  # the live request failed the same way; its effects are what count
        await app(scope, _receive(body_chunks(entry.body, entry.blob, blob_dir), entry.disconnected), discard)


# -- operations the test handle performs without HTTP ----------------------------------------------------


def _reset(em: Emulator, payload: dict[str, Any]) -> None:
    if payload.get("settings"):
        em.settings = em.settings.with_overrides(**payload["settings"])
    em.reseed(em.settings.seed)


def _use_scenario(em: Emulator, payload: dict[str, Any]) -> None:
    from ..scenarios import parse_scenario

    em.scenarios.load(parse_scenario(payload["scenario"], "<scenario>"), payload.get("organization"))


OPS: dict[str, Callable[[Emulator, dict[str, Any]], object]] = {
    "reset": _reset,
    "reseed": lambda em, p: em.reseed(int(p["seed"])),
    "advance": lambda em, p: em.clock.advance(float(p["seconds"])),
    "clear_requests": lambda em, p: em.journal.clear(p.get("organization")),
    "use_scenario": _use_scenario,
    "clear_scenarios": lambda em, p: em.scenarios.clear(p.get("organization")),
    "fixture": load_fixture,
}
# Operations after which nothing earlier matters: the journal can drop what came before.
FULL_RESETS = frozenset({"reset", "reseed"})


def apply_op(em: Emulator, name: str, payload: dict[str, Any]) -> object:
    return OPS[name](em, payload)


async def replay(app: ASGIApp, em: Emulator, entries: list[Entry], blob_dir: Path) -> float | None:
    """Replay `entries` in order; returns the last recorded time (None when there were none)."""
    last: float | None = None
    replaying, no_pause = REPLAYING.set(True), PAUSE.set(_no_pause)
    try:
        for entry in entries:
            pinned = PINNED.set(entry.at)
            try:
                if entry.kind == "op":
                    apply_op(em, entry.path, json.loads(entry.body or b"{}"))
                else:
                    await call_app(app, entry, blob_dir)
            finally:
                PINNED.reset(pinned)
            last = entry.at
    finally:
        PAUSE.reset(no_pause)
        REPLAYING.reset(replaying)
    return last
