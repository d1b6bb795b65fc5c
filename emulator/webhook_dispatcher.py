"""Sends webhook deliveries: a background task of the app's event loop, never a request handler.

The outboxes (domain) decide what is due on the emulator's clock; this module only makes the POSTs and
reports what came back. Receivers registered in process (the pytest plugin's `webhook_receiver`) are
reached through an ASGI transport, with no socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import httpx2

from .domain.journal import JournalEntry
from .domain.state import Emulator
from .domain.webhooks import Outbox, Send, sign

__all__ = ["USER_AGENT", "WebhookDispatcher"]

log = logging.getLogger("emulator.webhooks")

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]
USER_AGENT = "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)"
# How far back a `stale_timestamp` fault dates a delivery: past the SDK's 300-second tolerance.
STALE_BY = 600
POLL_SECONDS = 0.05


class WebhookDispatcher:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.receivers: dict[str, ASGIApp] = {}  # host -> in-process receiver
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._clients: dict[str, httpx2.AsyncClient] = {}  # "" for the network, else an in-process host

    def register(self, host: str, app: ASGIApp) -> None:
        """Deliver to `http://<host>/…` by calling `app` in process."""
        self.receivers[host] = app
        self._clients.pop(host, None)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """The lifespan's task: pump whenever woken, and at least every POLL_SECONDS (real clocks move)."""
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
                self._wake.clear()
                self._start(self._collect())
        finally:
            for client in self._clients.values():
                await client.aclose()

    async def flush(self) -> None:
        """Deliver everything due by now and wait for it (attempts freed by those, too)."""
        while True:
            self._start(self._collect())
            if not self._inflight:
                return
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    def _collect(self) -> list[tuple[Outbox, Send]]:
        em = self.emulator
        now = em.now()
        due: list[tuple[Outbox, Send]] = []
        for tenant in em.tenants():
            outbox = tenant.webhooks
            if not len(outbox.endpoints) and not len(outbox.deliveries):
                continue
            outbox.emit(now, tenant.jobs.jobs.get, em.scenarios)
            due.extend((outbox, send) for send in outbox.take_due(now, em.scenarios))
        return due

    def _start(self, due: list[tuple[Outbox, Send]]) -> None:
        """One task per endpoint URL, sending in order: deliveries to one receiver never overtake each
        other unless a fault says so."""
        by_url: defaultdict[str, list[tuple[Outbox, Send]]] = defaultdict(list)
        for outbox, send in due:
            by_url[send.url].append((outbox, send))
        for batch in by_url.values():
            task = asyncio.get_running_loop().create_task(self._send_all(batch))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _send_all(self, batch: list[tuple[Outbox, Send]]) -> None:
        for outbox, send in batch:
            status, error, latency = None, None, 0.0
            for _ in range(send.copies):
                status, error, latency = await self._post(send)
            outbox.record(send, status=status, error=error, latency_ms=latency)
            self._journal(outbox, send, status, error)

    async def _post(self, send: Send) -> tuple[int | None, str | None, float]:
        timestamp = int(time.time()) - (STALE_BY if send.stale_timestamp else 0)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": send.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(
                sign(s, send.message_id, timestamp, send.body) for s in send.secrets
            ),
        }
        started = time.perf_counter()
        try:
            response = await self._client_for(send.url).post(send.url, content=send.body, headers=headers)
            await response.aclose()
            return response.status_code, None, (time.perf_counter() - started) * 1000
        except httpx2.TimeoutException:
            return None, "timeout", (time.perf_counter() - started) * 1000
        except httpx2.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}".rstrip(": "), (time.perf_counter() - started) * 1000

    def _client_for(self, url: str) -> httpx2.AsyncClient:
        host = urlsplit(url).hostname or ""
        key = host if host in self.receivers else ""
        client = self._clients.get(key)
        if client is None:
            timeout = self.emulator.settings.webhook_timeout
            if key:
                transport = httpx2.ASGITransport(app=self.receivers[key])
                client = httpx2.AsyncClient(transport=transport, timeout=timeout)
            else:
                client = httpx2.AsyncClient(timeout=timeout, trust_env=False)
            self._clients[key] = client
        return client

    def _journal(self, outbox: Outbox, send: Send, status: int | None, error: str | None) -> None:
        log.info(
            "webhook %s -> %s %s (attempt %d%s)",
            send.message_id,
            send.url,
            status or error,
            send.attempt,
            f", {send.fault}" if send.fault else "",
        )
        self.emulator.journal.record(
            JournalEntry(
                "POST",
                send.url,
                {},
                None,
                status or 0,
                send.message_id,
                send.at,
                outbox.organization,
                rule=send.fault.split(" ")[0] if send.fault else None,
                extra={"webhook": {"delivery": send.delivery_id, "attempt": send.attempt, "error": error}},
            )
        )
