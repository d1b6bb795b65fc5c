"""Webhook endpoints, the events they receive, and the log of every delivery attempt (wire shapes)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .signing import secret_hint

__all__ = [
    "EVENT_TYPES",
    "FINE_TUNING_EVENTS",
    "Attempt",
    "Delivery",
    "WebhookEndpoint",
    "WebhookEvent",
]

# The types a fine-tuning job emits when it reaches a terminal status (OpenAI's webhook guide).
FINE_TUNING_EVENTS = {
    "succeeded": "fine_tuning.job.succeeded",
    "failed": "fine_tuning.job.failed",
    "cancelled": "fine_tuning.job.cancelled",
}

# Every type an endpoint may subscribe to (the official SDK's `event_types` literal, openai 3.57); only the
# fine-tuning ones fire here, because fine-tuning is what the emulator serves.
EVENT_TYPES = (
    "batch.completed", "batch.failed", "batch.expired", "batch.cancelled",
    "response.completed", "response.failed", "response.cancelled", "response.incomplete",
    "eval.run.succeeded", "eval.run.failed", "eval.run.canceled",
    "fine_tuning.job.succeeded", "fine_tuning.job.failed", "fine_tuning.job.cancelled",
    "realtime.call.incoming", "video.completed", "video.failed",
    "agent.environment.ready", "agent.environment.failed", "agent.environment.suspended",
    "agent.environment.expired", "agent.session.created", "agent.session.action_required",
    "agent.session.in_progress", "agent.session.idle", "agent.session.failed", "safety.alert.created",
)  # fmt: skip


@dataclass
class WebhookEndpoint:
    id: str
    created_at: int
    name: str
    url: str
    event_types: tuple[str, ...]
    secret: str
    updated_at: int
    # After a rotation that keeps the old secret for 24 h: that secret and when it stops signing.
    previous_secret: str | None = None
    previous_until: float = 0.0

    def to_dict(self, *, with_secret: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "webhook_endpoint",
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "name": self.name,
            "url": self.url,
            "event_types": list(self.event_types),
            "signing_secret_hint": secret_hint(self.secret),
        }
        if with_secret:
            body["signing_secret"] = self.secret
        return body

    def secrets_at(self, now: float) -> tuple[str, ...]:
        """The secrets a delivery is signed with at `now` (two while a rotated-out one is still valid)."""
        if self.previous_secret is not None and now < self.previous_until:
            return (self.secret, self.previous_secret)
        return (self.secret,)


@dataclass(frozen=True)
class WebhookEvent:
    id: str  # evt_…
    type: str
    created_at: int
    subject: str  # the id in `data`, e.g. the job's

    def body(self) -> bytes:
        """The payload bytes, identical for every attempt and every endpoint."""
        payload = {
            "id": self.id,
            "object": "event",
            "created_at": self.created_at,
            "type": self.type,
            "data": {"id": self.subject},
        }
        return json.dumps(payload, separators=(",", ":")).encode()


@dataclass
class Attempt:
    number: int  # 1 for the first try
    at: float  # emulator time it was made (its scheduled time, so logs are deterministic)
    outcome: str  # delivered | failed | dropped
    status: int | None = None  # the receiver's HTTP status; None when nothing came back
    error: str | None = None  # why it failed without a status (timeout, refused, ...)
    fault: str | None = None  # the scenario fault applied, as "<scenario>:<rule> <fault>"
    latency_ms: float | None = None  # wall time the receiver took; not part of determinism


@dataclass
class Delivery:
    """One event on its way to one endpoint, with every attempt so far."""

    id: str
    event: WebhookEvent
    endpoint_id: str
    url: str
    state: str = "pending"  # pending | delivered | failed (retries exhausted) | dropped (a fault)
    next_attempt_at: float | None = None
    attempts: list[Attempt] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "webhook.delivery",
            "event": json.loads(self.event.body()),
            "endpoint_id": self.endpoint_id,
            "url": self.url,
            "state": self.state,
            "next_attempt_at": None if self.next_attempt_at is None else int(self.next_attempt_at),
            "attempts": [
                {
                    "number": a.number,
                    "at": int(a.at),
                    "outcome": a.outcome,
                    "status": a.status,
                    "error": a.error,
                    "fault": a.fault,
                    "latency_ms": a.latency_ms,
                }
                for a in self.attempts
            ],
        }
