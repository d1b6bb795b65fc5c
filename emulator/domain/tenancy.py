"""Who is calling: API keys become organizations, each with its own isolated state."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from ..errors import AuthenticationError

__all__ = ["Dialect", "Organization", "authenticate", "mask_key", "organization_for"]

Dialect = Literal["openai", "azure"]  # which wire dialect a tenant is reached through: its ids follow it

_MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using "
    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if "
    "you're accessing the API from your browser and are prompted for a username and password. You can "
    "obtain an API key from https://platform.openai.com/account/api-keys."
)


@dataclass(frozen=True)
class Organization:
    id: str  # org-… (24 alphanumerics), as in `organization_id` on jobs
    name: str  # the slug in the `openai-organization` header, e.g. user-… for a personal account
    model_slug: str  # the org part of fine-tuned model names: `personal` for personal accounts
    dialect: Dialect = "openai"  # an Azure OpenAI resource is a tenant of its own, apart from any OpenAI org

    @cached_property
    def project_id(self) -> str:
        """The default project (`proj_…`) that requests without an `OpenAI-Project` header act in."""
        return "proj_" + _token("project:" + self.id, 24, string.ascii_letters + string.digits)


def _token(text: str, length: int, alphabet: str) -> str:
    value = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    out = []
    for _ in range(length):
        value, index = divmod(value, len(alphabet))
        out.append(alphabet[index])
    return "".join(out)


def organization_for(api_key: str, names: Mapping[str, str], dialect: Dialect = "openai") -> Organization:
    """Derive the key's organization; keys mapped to the same name share it. The same key sent to the Azure
    dialect names an Azure resource instead, a different tenant."""
    if dialect == "azure":
        seed = "azure-key:" + api_key
        slug = "azure-" + _token(seed, 16, string.ascii_lowercase + string.digits)
        org_id = "org-" + _token(seed, 24, string.ascii_letters + string.digits)
        return Organization(org_id, slug, slug, "azure")
    name = names.get(api_key)
    if name is None:
        seed = "key:" + api_key
        slug = "user-" + _token(seed, 24, string.ascii_lowercase + string.digits)
        return Organization("org-" + _token(seed, 24, string.ascii_letters + string.digits), slug, "personal")
    model_slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "org"
    return Organization("org-" + _token("org:" + name, 24, string.ascii_letters + string.digits), name, model_slug)


def mask_key(key: str) -> str:
    """OpenAI's masking: first 8 characters, a star for each hidden one, last 4."""
    if len(key) <= 12:
        return key[:2] + "*" * max(0, len(key) - 4) + key[-2:] if len(key) > 4 else "*" * len(key)
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


def authenticate(authorization: str | None, allowed: tuple[str, ...]) -> str:
    """The API key in a Bearer (or blank-user Basic) header, or the 401 OpenAI gives."""
    key = _extract_key(authorization)
    if not key:
        raise AuthenticationError(_MISSING_KEY, code=None)
    if allowed and key not in allowed:
        raise AuthenticationError(
            f"Incorrect API key provided: {mask_key(key)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )
    return key


def _extract_key(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
        return password if not user and password else None
    return None
