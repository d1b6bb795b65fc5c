"""Who calls the Azure data plane: the `api-key` header, or an `Authorization: Bearer` credential.

Azure accepts a resource key in `api-key` (what `AzureOpenAI(api_key=...)` sends) and a Microsoft Entra ID
token as `Authorization: Bearer <token>` (what `azure_ad_token`/`azure_ad_token_provider` send). The GA v1
API also takes the key itself as a bearer (what `OpenAI(base_url=".../openai/v1/", api_key=key)` sends).

The emulator can't verify Entra tokens, so it accepts any well-formed one: a bearer shaped like a JWT
(three base64url segments) acts as the resource's first configured API key (`Settings.api_keys`), or as
`ENTRA_KEY` when no keys are configured; any other bearer is taken as the key itself. The refusals are
API Management's (microsoft/semantic-kernel#10337 shows the wrong-key one).
"""

from __future__ import annotations

import re

from .versions import VersionRefused

__all__ = ["ENTRA_KEY", "azure_key"]

ENTRA_KEY = "azure-entra-id"  # the key an Entra ID token stands for when no API keys are configured
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_MISSING = (
    "Access denied due to missing subscription key. Make sure to include subscription key when making "
    "requests to an API."
)
_INVALID = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)


def azure_key(api_key: str | None, authorization: str | None, allowed: tuple[str, ...]) -> str:
    """The API key the call acts as, or VersionRefused carrying the front door's 401."""
    if api_key is not None and api_key.strip():
        key = api_key.strip()
    else:
        scheme, _, credential = (authorization or "").strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise VersionRefused(401, "401", _MISSING)
        if _JWT.match(credential):
            return allowed[0] if allowed else ENTRA_KEY
        key = credential
    if allowed and key not in allowed:
        raise VersionRefused(401, "401", _INVALID)
    return key
