"""The webhook endpoints every tenant starts with, from `--webhook URL` and `--webhook-secret`."""

from __future__ import annotations

import random

from ...errors import APIError
from ...ids import derive_seed
from ...settings import Settings
from .model import FINE_TUNING_EVENTS
from .outbox import Outbox
from .signing import decode_secret, new_secret
from .targets import check_target

__all__ = ["default_endpoints", "startup_secret"]


def startup_secret(settings: Settings) -> str:
    """The secret the configured endpoints sign with, after checking every configured URL.

    Raises:
        ValueError: a URL or the secret is unusable; the message says which and why.
    """
    for url in settings.webhooks:
        try:
            check_target(url, settings.webhook_allow_hosts)
        except APIError as exc:
            raise ValueError(f"--webhook {url}: {exc.message}") from None
    if not settings.webhook_secret:
        return new_secret(random.Random(derive_seed(settings.seed, "webhook-secret")))
    try:
        decode_secret(settings.webhook_secret)
    except ValueError as exc:
        raise ValueError(f"--webhook-secret: {exc}") from None
    return settings.webhook_secret


def default_endpoints(outbox: Outbox, settings: Settings, secret: str, now: float) -> None:
    for url in settings.webhooks:
        outbox.create_endpoint(
            now,
            name="emulator --webhook",
            url=url,
            event_types=tuple(FINE_TUNING_EVENTS.values()),
            secret=secret,
        )
