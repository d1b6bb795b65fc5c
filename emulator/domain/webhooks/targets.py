"""Where deliveries may go: loopback by default, other hosts only when the settings allow them."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from urllib.parse import urlsplit

from ...errors import InvalidRequestError

__all__ = ["check_target", "is_loopback"]


def is_loopback(host: str) -> bool:
    """`localhost`, `*.localhost` or a loopback address literal; names are never resolved (no DNS)."""
    host = host.lower().strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_target(url: str, allow_hosts: Collection[str], in_process: Collection[str] = ()) -> str:
    """`url` if deliveries may go there, else the 400 that names the parameter and the setting to change."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequestError(
            f"Invalid URL '{url}': a webhook endpoint needs an http(s) URL with a host.",
            param="url",
            code="invalid_url",
        )
    host = parts.hostname
    if is_loopback(host) or host in in_process or "*" in allow_hosts or host in allow_hosts:
        return url
    raise InvalidRequestError(
        f"The emulator only delivers webhooks to loopback hosts; '{host}' is not one. Allow it with the "
        f"webhook_allow_hosts setting (EMULATOR_WEBHOOK_ALLOW_HOSTS={host}).",
        param="url",
        code="invalid_url",
    )
