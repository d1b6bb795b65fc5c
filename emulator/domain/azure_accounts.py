"""Azure resource (account) names bound to API keys: how an ARM call that carries only an Entra token finds
its tenant. Real ARM callers authenticate with an Entra bearer token that names no key; the emulator maps the
`{account}` segment of the ARM path to the key of the Azure resource it stands for."""

from __future__ import annotations

import threading
from collections.abc import Mapping

__all__ = ["AccountBindings"]


class AccountBindings:
    """Account name -> API key. ARM resource names are case-insensitive, so names are kept lower-cased."""

    def __init__(self, initial: Mapping[str, str] | None = None) -> None:
        self._initial = {name.lower(): key for name, key in (initial or {}).items()}
        self._keys = dict(self._initial)
        self._lock = threading.Lock()

    def bind(self, account: str, api_key: str) -> None:
        with self._lock:
            self._keys[account.lower()] = api_key

    def unbind(self, account: str) -> bool:
        with self._lock:
            return self._keys.pop(account.lower(), None) is not None

    def key_for(self, account: str) -> str | None:
        return self._keys.get(account.lower())

    def items(self) -> list[tuple[str, str]]:
        with self._lock:
            return sorted(self._keys.items())

    def reset(self) -> None:
        """Back to the bindings the settings give (a full reset forgets those made at run time)."""
        with self._lock:
            self._keys = dict(self._initial)
