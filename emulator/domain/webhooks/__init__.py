"""Webhooks: signed fine-tuning job events, delivered on the emulator's clock with retries and faults."""

from .model import EVENT_TYPES as EVENT_TYPES
from .model import FINE_TUNING_EVENTS as FINE_TUNING_EVENTS
from .model import Attempt as Attempt
from .model import Delivery as Delivery
from .model import WebhookEndpoint as WebhookEndpoint
from .model import WebhookEvent as WebhookEvent
from .outbox import RETRY_DELAYS as RETRY_DELAYS
from .outbox import FaultPolicy as FaultPolicy
from .outbox import Outbox as Outbox
from .outbox import Send as Send
from .outbox import WebhookFault as WebhookFault
from .signing import decode_secret as decode_secret
from .signing import sign as sign

__all__ = [
    "EVENT_TYPES",
    "FINE_TUNING_EVENTS",
    "RETRY_DELAYS",
    "Attempt",
    "Delivery",
    "FaultPolicy",
    "Outbox",
    "Send",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookFault",
    "decode_secret",
    "sign",
]
