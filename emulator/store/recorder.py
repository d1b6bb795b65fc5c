"""The durable store in the request path: one ASGI middleware that journals each request before its answer.

Requests that can change state run one at a time (a scenario's wall-clock wait lets others through), each
with the clock pinned to the time it started at, so the order and times in the journal are exactly what
replay needs to rebuild the same state. The entry is committed before the first byte of the answer is
sent: an acknowledged request is never lost, a half-done one leaves no trace.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..clock import PAUSE, PINNED
from ..domain.state import Emulator
from ..settings import Settings
from .database import BlobSink, Entry, JournalDB, StoreError
from .replay import FULL_RESETS, REPLAYING, apply_op, body_chunks, replay

__all__ = ["Recorder", "Store", "differences", "fingerprint"]

INLINE_BODY = 256 * 1024  # larger bodies (file uploads, upload parts) go to blob files
# Settings that don't change what a request does: a journal stays valid when only these differ.
UNRELATED = frozenset({"host", "port", "log_level", "data_dir", "spool_threshold", "preload"})
# Control reads that change nothing (polling them would only grow the journal).
READ_ONLY = frozenset(
    {
        "/_emulator/health",
        "/_emulator/clock",
        "/_emulator/seed",
        "/_emulator/requests",
        "/_emulator/requests/count",
        "/_emulator/scenarios",
        "/_emulator/scenarios/library",
        "/_emulator/lenient",
        "/_emulator/webhooks/deliveries",
        "/_emulator/snapshot",
        "/_emulator/store",
        "/_emulator/azure/accounts",
        "/_emulator/azure/deployments",
    }
)


def fingerprint(settings: Settings) -> dict[str, Any]:
    """The settings replay depends on, as JSON values."""
    values = {
        f.name: getattr(settings, f.name) for f in dataclasses.fields(settings) if f.name not in UNRELATED
    }
    normalized: dict[str, Any] = json.loads(
        json.dumps(values, default=lambda v: dict(v) if isinstance(v, Mapping) else list(v), sort_keys=True)
    )
    return normalized


# Settings that are named, never shown, when they differ:
SECRET = frozenset({"api_keys", "admin_keys", "organizations", "azure_accounts", "webhook_secret"})


def differences(then: Mapping[str, Any], now: Mapping[str, Any], ignore: tuple[str, ...] = ()) -> str:
    """The settings that differ, readable; API keys are named, never shown. A setting newer than the
    directory counts as having had its default there, so adding one doesn't strand older directories."""
    then = {**fingerprint(Settings()), **then}
    changed = sorted(k for k in set(then) | set(now) if then.get(k) != now.get(k) and k not in ignore)
    return ", ".join(
        name if name in SECRET else f"{name} ({then.get(name)!r} -> {now.get(name)!r})"
        for name in changed
    )


class Store:
    """An emulator's data directory: opened (locked, checked) before the app serves, replayed into it."""

    def __init__(self, emulator: Emulator, directory: str) -> None:
        self.emulator = emulator
        self.db = JournalDB(directory)
        self.gate = asyncio.Lock()
        self._ops_lock = threading.Lock()
        try:
            self._check()
        except StoreError:
            self.db.close()
            raise

    @property
    def blob_dir(self) -> Path:
        return self.db.blob_dir

    def _check(self) -> None:
        meta, now = self.db.meta(), fingerprint(self.emulator.settings)
        if not meta:
            self.db.set_meta({"emulator_version": __version__, "settings": now})
            return
        if meta.get("emulator_version") != __version__:
            raise StoreError(
                f"data directory {self.db.directory} was written by emulator {meta.get('emulator_version')}; "
                f"this is {__version__}, which might replay it differently. Use that version, or a new "
                "--data-dir (save a snapshot first with the old version to keep the state)"
            )
        changed = differences(meta.get("settings") or {}, now, ignore=self._restated())
        if changed:
            raise StoreError(
                f"data directory {self.db.directory} was written with other settings: {changed}. Start with "
                "the same settings to resume it, or use a new --data-dir"
            )

    def _restated(self) -> tuple[str, ...]:
        """Settings the journal sets again itself: when it starts with a test handle's reset carrying the
        per-test settings (a pytest session's directory), those may differ at start-up."""
        from ..testing import PER_TEST_FIELDS

        first = self.db.first()
        if first is not None and first.kind == "op" and first.path == "reset":
            if json.loads(first.body or b"{}").get("settings"):
                return PER_TEST_FIELDS
        return ()

    def load(self, app: ASGIApp) -> int:
        """Replay the journal into `app` (a fresh thread and event loop, so callers may be async)."""
        entries = self.db.entries()
        result: list[float | None] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                result.append(asyncio.run(replay(app, self.emulator, entries, self.blob_dir)))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                errors.append(exc)

        worker = threading.Thread(target=run, name="emulator-replay")
        worker.start()
        worker.join()
        if errors:
            raise errors[0]
        last = result[0] if result else None
        resume = getattr(self.emulator.clock, "resume", None)
        if last is not None and resume is not None:
            resume(last)  # a real clock carries on from where the journal left off
        return len(entries)

    def record(self, entry: Entry, status: int = 0) -> None:
        seq = self.db.append(entry)
        full_reset = (entry.kind == "op" and entry.path in FULL_RESETS) or (
            entry.method == "POST" and entry.path == "/_emulator/seed" and 200 <= status < 300
        )
        if full_reset:
            self.db.compact(seq)

    def perform(self, name: str, payload: dict[str, Any]) -> object:
        """Apply a test-handle operation and journal it."""
        with self._ops_lock:
            em = self.emulator
            at = em.now()
            result = apply_op(em, name, payload)
            self.record(Entry(0, at, "op", "", name, b"", [], json.dumps(payload).encode(), None))
            return result

    def close(self) -> None:
        self.db.close()


class Recorder:
    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or REPLAYING.get() or not _journaled(scope):
            await self.app(scope, receive, send)
            return
        body = await self._take_body(receive)
        if body is None:
            return  # the client left before sending all of it: nothing happened
        inline, digest = body
        store, gate = self.store, self.store.gate
        await gate.acquire()
        held, committed, disconnected, status = True, False, False, 0
        at = store.emulator.clock.now()

        async def pause_unlocked(seconds: float) -> None:
            nonlocal held
            if committed:
                await asyncio.sleep(seconds)
                return
            if held:
                gate.release()
                held = False
            try:
                await asyncio.sleep(seconds)
            finally:
                await gate.acquire()
                held = True

        def entry() -> Entry:
            return Entry(
                0,
                at,
                "http",
                scope["method"],
                scope["path"],
                scope.get("query_string", b""),
                list(scope["headers"]),
                inline,
                digest,
                disconnected,
            )

        def release() -> None:
            nonlocal held
            if held:
                gate.release()
                held = False

        async def commit() -> None:
            nonlocal committed
            if not committed:
                committed = True
                try:
                    await asyncio.to_thread(store.record, entry(), status)
                finally:
                    release()

        feed: Iterator[bytes] | None = None
        fed = False

        async def app_receive() -> Message:
            nonlocal feed, fed, disconnected
            if not fed:
                feed = feed or body_chunks(inline, digest, store.blob_dir)
                chunk = next(feed, None)
                if chunk is not None:
                    return {"type": "http.request", "body": chunk, "more_body": True}
                fed = True
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.disconnect" and not committed:
                disconnected = True
            return message

        async def send_committed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                await commit()
            await send(message)

        pinned, paused = PINNED.set(at), PAUSE.set(pause_unlocked)
        try:
            await self.app(scope, app_receive, send_committed)
        finally:
            PINNED.reset(pinned)
            PAUSE.reset(paused)
            if not committed:
                committed = True
                try:
                    store.record(entry(), status)  # no await: a cancelled request still gets journaled
                finally:
                    release()

    async def _take_body(self, receive: Receive) -> tuple[bytes | None, str | None] | None:
        chunks: list[bytes] = []
        size = 0
        sink: BlobSink | None = None
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                if sink is not None:
                    sink.abort()
                return None
            data = message.get("body", b"")
            if sink is not None:
                sink.write(data)
            else:
                chunks.append(data)
                size += len(data)
                if size > INLINE_BODY:
                    sink = BlobSink(self.store.blob_dir)
                    for chunk in chunks:
                        sink.write(chunk)
                    chunks = []
            if not message.get("more_body", False):
                break
        if sink is not None:
            return None, await asyncio.to_thread(sink.commit)
        return b"".join(chunks), None


def _journaled(scope: Scope) -> bool:
    path: str = scope["path"]
    if not (path in ("/v1", "/openai")
            or path.startswith(("/v1/", "/openai/", "/_emulator/", "/subscriptions/"))):  # + Azure, ARM
        return False
    return not (scope["method"] in ("GET", "HEAD") and path in READ_ONLY)
