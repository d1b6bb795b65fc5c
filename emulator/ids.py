"""Seeded identifiers shaped like OpenAI's: the same seed and sequence of requests give the same ids."""

from __future__ import annotations

import contextlib
import hashlib
import random
import string
import threading
from collections import defaultdict
from collections.abc import Iterator

__all__ = ["ALPHANUMERIC", "HEX", "IdFactory", "derive_seed"]

ALPHANUMERIC = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


def _digest(*parts: object) -> int:
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest(), "big")


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from any labels: how each job, reply or fault gets its own stable randomness."""
    return _digest(*parts) & (2**64 - 1)


class IdFactory:
    """Counts per kind inside one namespace (a tenant), so tenants never disturb each other's ids."""

    def __init__(self, seed: int, namespace: str = "") -> None:
        self.seed = seed
        self.namespace = namespace
        self._counters: defaultdict[str, int] = defaultdict(int)
        self._chosen: dict[str, str] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def chosen(self, prefix: str, value: str) -> Iterator[None]:
        """Inside this block the next `new(prefix)` returns `value` (a fixture's chosen id), using up no
        number of the sequence."""
        with self._lock:
            self._chosen[prefix] = value
        try:
            yield
        finally:
            with self._lock:
                self._chosen.pop(prefix, None)

    def token(self, kind: str, length: int, alphabet: str = ALPHANUMERIC) -> str:
        with self._lock:
            self._counters[kind] += 1
            n = self._counters[kind]
        value = _digest(self.seed, self.namespace, kind, n)
        chars = []
        for _ in range(length):
            value, index = divmod(value, len(alphabet))
            chars.append(alphabet[index])
            if value < len(alphabet):
                value = _digest(value, kind, n, len(chars))
        return "".join(chars)

    def new(self, prefix: str, length: int = 24, alphabet: str = ALPHANUMERIC) -> str:
        if self._chosen:
            with self._lock:
                chosen = self._chosen.pop(prefix, None)
            if chosen is not None:
                return chosen
        return prefix + self.token(prefix, length, alphabet)

    def request_id(self) -> str:
        return "req_" + self.token("req_", 32, HEX)

    def rng(self, *labels: object) -> random.Random:
        """A private random stream for one purpose (a job's loss curve, a reply's wording)."""
        return random.Random(derive_seed(self.seed, self.namespace, *labels))
