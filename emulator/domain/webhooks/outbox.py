"""A tenant's webhooks: endpoints, the events its jobs emit on the emulator's clock, and deliveries with
retries. No I/O: the dispatcher takes `Send`s out and records what the receiver answered.

Time is the emulator's: an event is created when its job reaches the terminal status on the clock, its
first attempt is due then, and each retry is due `RETRY_DELAYS` later, so a virtual-clock test can
fast-forward through a whole retry schedule.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from ...errors import NotFoundError
from ...ids import HEX, IdFactory
from ..collection import Collection
from ..jobs.job import Job
from .model import FINE_TUNING_EVENTS, Attempt, Delivery, WebhookEndpoint, WebhookEvent
from .signing import decode_secret, new_secret

__all__ = ["RETRY_DELAYS", "FaultPolicy", "Outbox", "Send", "WebhookFault"]

# Seconds from one failed attempt to the next. OpenAI retries with exponential backoff for up to 72 hours
# without publishing the schedule; this is the Standard Webhooks reference schedule (5 s, 5 min, 30 min,
# 2 h, 5 h, then every 10 h) cut at 72 hours: 12 attempts in all.
RETRY_DELAYS = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0, 36000.0, 36000.0, 36000.0, 36000.0)
# How long an out-of-order delivery waits for a later one to overtake it before it goes anyway.
PARK_LIMIT = 3600.0
_KEEP_OLD_SECRET = 24 * 3600.0


@dataclass(frozen=True)
class WebhookFault:
    """What a scenario does to one delivery attempt."""

    kind: str  # delay | drop | duplicate | out_of_order | wrong_signature | stale_timestamp | receiver_error
    label: str  # "<scenario>:<rule>", for the delivery log
    delay: float = 0.0  # delay: seconds before the first attempt
    status: int = 503  # receiver_error: the status the attempt is recorded with


class FaultPolicy(Protocol):
    def webhook_fault(
        self, organization: str, organization_name: str, event_type: str, url: str, attempt: int
    ) -> WebhookFault | None:
        """The fault for this attempt (attempt 0 asks for a delay before the first one), or None."""
        ...


@dataclass(frozen=True)
class Send:
    """One POST to make: the dispatcher needs nothing else."""

    delivery_id: str
    attempt: int
    at: float
    url: str
    message_id: str
    body: bytes
    secrets: tuple[str, ...]
    stale_timestamp: bool = False
    copies: int = 1
    fault: str | None = None


class Outbox:
    def __init__(self, ids: IdFactory, organization: str, organization_name: str) -> None:
        self.ids = ids
        self.organization = organization
        self.organization_name = organization_name
        self.endpoints: Collection[WebhookEndpoint] = Collection()
        self.deliveries: Collection[Delivery] = Collection()
        self._watched: list[tuple[float, int, str, int]] = []  # (terminal time, tiebreak, job id, version)
        self._queue: list[tuple[float, int, str]] = []  # (attempt due, tiebreak, delivery id)
        # endpoint id -> (delivery id, fault label) of deliveries waiting to be overtaken
        self._parked: dict[str, list[tuple[str, str]]] = {}
        self._announced: set[str] = set()
        self._seq = itertools.count()
        self._lock = threading.RLock()

    # -- endpoints -----------------------------------------------------------------------------------

    def create_endpoint(
        self, now: float, *, name: str, url: str, event_types: tuple[str, ...], secret: str | None = None
    ) -> WebhookEndpoint:
        with self._lock:
            endpoint_id = self.ids.new("we_", 32, HEX)
            secret = secret or new_secret(self.ids.rng("webhook-secret", endpoint_id))
            decode_secret(secret)
            endpoint = WebhookEndpoint(endpoint_id, int(now), name, url, event_types, secret, int(now))
            return self.endpoints.add(endpoint)

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None:
            raise NotFoundError(
                f"No webhook endpoint found with id '{endpoint_id}'.", param="webhook_endpoint_id"
            )
        return endpoint

    def update_endpoint(
        self,
        endpoint_id: str,
        now: float,
        *,
        name: str | None,
        url: str | None,
        event_types: tuple[str, ...] | None,
    ) -> WebhookEndpoint:
        with self._lock:
            endpoint = self.endpoint(endpoint_id)
            given = {"name": name, "url": url, "event_types": event_types}
            updates = {k: v for k, v in given.items() if v is not None and v != getattr(endpoint, k)}
            if updates:  # an unchanged update leaves updated_at alone, as OpenAI documents
                for field_name, value in updates.items():
                    setattr(endpoint, field_name, value)
                endpoint.updated_at = int(now)
            return endpoint

    def delete_endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        with self._lock:
            endpoint = self.endpoint(endpoint_id)
            self.endpoints.remove(endpoint_id)
            return endpoint

    def rotate_secret(self, endpoint_id: str, now: float, *, keep_old: bool) -> WebhookEndpoint:
        with self._lock:
            endpoint = self.endpoint(endpoint_id)
            fresh = new_secret(self.ids.rng("webhook-secret", endpoint_id, next(self._seq)))
            endpoint.previous_secret = endpoint.secret if keep_old else None
            endpoint.previous_until = now + _KEEP_OLD_SECRET if keep_old else 0.0
            endpoint.secret, endpoint.updated_at = fresh, int(now)
            return endpoint

    # -- events --------------------------------------------------------------------------------------

    def observe(self, job: Job) -> None:
        """Called on every edit of a job's timeline: remember when it will reach a terminal status."""
        terminal = job.timeline.terminal
        if terminal is None or job.id in self._announced:
            return
        with self._lock:
            heapq.heappush(self._watched, (terminal.at, next(self._seq), job.id, job.version))

    def emit(self, now: float, find_job: Callable[[str], Job | None], policy: FaultPolicy | None) -> None:
        """Create the events of jobs that reached a terminal status by `now` and queue their deliveries."""
        if not self._watched or self._watched[0][0] > now:
            return
        with self._lock:
            while self._watched and self._watched[0][0] <= now:
                _, _, job_id, version = heapq.heappop(self._watched)
                job = find_job(job_id)
                if job is None or job.version != version or job_id in self._announced:
                    continue
                terminal = job.timeline.terminal
                event_type = FINE_TUNING_EVENTS.get(terminal.status) if terminal is not None else None
                if terminal is None or event_type is None or terminal.at > now:
                    continue
                self._announced.add(job_id)
                event = WebhookEvent(self.ids.new("evt_", 32, HEX), event_type, int(terminal.at), job_id)
                self.publish(event, terminal.at, policy)

    def publish(
        self, event: WebhookEvent, at: float, policy: FaultPolicy | None, only: WebhookEndpoint | None = None
    ) -> list[Delivery]:
        """Queue one delivery of `event` per subscribed endpoint (or to `only`), first attempt due `at`."""
        with self._lock:
            targets = (
                [only]
                if only is not None
                else [e for e in self.endpoints if event.type in e.event_types and e.created_at <= at]
            )
            out = []
            for endpoint in targets:
                delivery = Delivery(self.ids.new("whdel_", 24), event, endpoint.id, endpoint.url)
                fault = (
                    policy.webhook_fault(
                        self.organization, self.organization_name, event.type, endpoint.url, 0
                    )
                    if policy
                    else None
                )
                due = at + (fault.delay if fault is not None and fault.kind == "delay" else 0.0)
                self.deliveries.add(delivery)
                self._schedule(delivery, due)
                out.append(delivery)
            return out

    # -- deliveries ----------------------------------------------------------------------------------

    def take_due(self, now: float, policy: FaultPolicy | None) -> list[Send]:
        """The attempts due by `now`, in order, with their faults applied; simulated outcomes (drops,
        receiver errors) are recorded here and never reach the network."""
        if not self._queue or self._queue[0][0] > now:
            return []
        sends: list[Send] = []
        with self._lock:
            while self._queue and self._queue[0][0] <= now:
                due, _, delivery_id = heapq.heappop(self._queue)
                delivery = self.deliveries.get(delivery_id)
                if delivery is None or delivery.state != "pending" or delivery.next_attempt_at != due:
                    continue
                parked = dict(self._parked.get(delivery.endpoint_id, ()))
                if delivery_id in parked:  # nothing overtook it within PARK_LIMIT: it goes now
                    self._parked[delivery.endpoint_id].remove((delivery_id, parked[delivery_id]))
                    sends.append(self._send(delivery, due, parked[delivery_id]))
                    continue
                send = self._attempt(delivery, due, policy)
                if send is None:
                    continue
                sends.append(send)
                for waiting, label in self._parked.pop(delivery.endpoint_id, []):
                    overtaken = self.deliveries.get(waiting)
                    if overtaken is not None and overtaken.state == "pending":
                        sends.append(self._send(overtaken, due, label))
        return sends

    def _attempt(self, delivery: Delivery, due: float, policy: FaultPolicy | None) -> Send | None:
        number = len(delivery.attempts) + 1
        endpoint = self.endpoints.get(delivery.endpoint_id)
        if endpoint is None:
            self._finish(delivery, Attempt(number, due, "failed", error="the endpoint was deleted"), due)
            return None
        fault = (
            policy.webhook_fault(
                self.organization, self.organization_name, delivery.event.type, delivery.url, number
            )
            if policy is not None
            else None
        )
        if fault is None or fault.kind == "delay":
            return self._send(delivery, due)
        label = f"{fault.label} {fault.kind}"
        if fault.kind == "drop":
            self._finish(delivery, Attempt(number, due, "dropped", fault=label), due)
            return None
        if fault.kind == "receiver_error":
            self._finish(delivery, Attempt(number, due, "failed", status=fault.status, fault=label), due)
            return None
        if fault.kind == "out_of_order":
            self._parked.setdefault(delivery.endpoint_id, []).append((delivery.id, label))
            self._schedule(delivery, due + PARK_LIMIT)
            return None
        send = self._send(delivery, due, label)
        if fault.kind == "duplicate":
            return replace(send, copies=2)
        if fault.kind == "stale_timestamp":
            return replace(send, stale_timestamp=True)
        # wrong_signature: signed with a key the receiver has never seen
        return replace(send, secrets=(new_secret(self.ids.rng("wrong-secret", delivery.id, number)),))

    def _send(self, delivery: Delivery, at: float, fault: str | None = None) -> Send:
        endpoint = self.endpoints.get(delivery.endpoint_id)
        secrets = endpoint.secrets_at(at) if endpoint is not None else ()
        delivery.next_attempt_at = None  # in flight
        return Send(
            delivery.id,
            len(delivery.attempts) + 1,
            at,
            delivery.url,
            delivery.event.id,
            delivery.event.body(),
            secrets,
            fault=fault,
        )

    def record(self, send: Send, *, status: int | None, error: str | None, latency_ms: float) -> None:
        """What the receiver answered (status None: no answer, `error` says why)."""
        with self._lock:
            delivery = self.deliveries.get(send.delivery_id)
            if delivery is None or delivery.state != "pending":
                return
            delivered = status is not None and 200 <= status < 300
            attempt = Attempt(
                send.attempt,
                send.at,
                "delivered" if delivered else "failed",
                status,
                error,
                send.fault,
                round(latency_ms, 3),
            )
            self._finish(delivery, attempt, send.at)

    def _finish(self, delivery: Delivery, attempt: Attempt, at: float) -> None:
        delivery.attempts.append(attempt)
        if attempt.outcome != "failed":
            delivery.state, delivery.next_attempt_at = attempt.outcome, None
            return
        if attempt.number > len(RETRY_DELAYS):
            delivery.state, delivery.next_attempt_at = "failed", None
            return
        self._schedule(delivery, at + RETRY_DELAYS[attempt.number - 1])

    def _schedule(self, delivery: Delivery, due: float) -> None:
        delivery.next_attempt_at = due
        heapq.heappush(self._queue, (due, next(self._seq), delivery.id))
