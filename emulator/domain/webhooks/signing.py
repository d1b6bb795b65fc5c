"""Standard Webhooks signing as OpenAI does it: `whsec_` secrets, `v1,<base64 HMAC-SHA256>` signatures."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import random

__all__ = ["SECRET_PREFIX", "decode_secret", "new_secret", "secret_hint", "sign"]

SECRET_PREFIX = "whsec_"


def new_secret(rng: random.Random) -> str:
    """A fresh secret: `whsec_` + base64 of 32 bytes, drawn from the caller's seeded stream."""
    return SECRET_PREFIX + base64.b64encode(rng.randbytes(32)).decode()


def decode_secret(secret: str) -> bytes:
    """The HMAC key inside a `whsec_…` secret; ValueError naming the problem otherwise."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with 'whsec_' followed by base64")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the part after 'whsec_' is not valid base64") from None
    if len(key) < 16:
        raise ValueError("a webhook secret needs at least 16 bytes of key material")
    return key


def secret_hint(secret: str) -> str:
    """What OpenAI shows instead of a secret: its prefix and last four characters."""
    return f"{SECRET_PREFIX}****{secret[-4:]}"


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one delivery attempt."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(decode_secret(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
