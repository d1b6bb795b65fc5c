"""Seeded identifiers shaped like OpenAI's: the same seed and sequence of requests give the same ids."""

from __future__ import annotations

import contextlib
import hashlib
import random
import string
import threading
from collections import defaultdict
from collections.abc import Iterator

__all__ = ["ALPHANUMERIC", "HEX", "SEP", "IdFactory", "alphanumerics", "derive_seed", "seed_of"]

ALPHANUMERIC = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
SEP = "\x1f"  # between the labels of a seed


def _digest(*parts: object) -> int:
    text = SEP.join(map(str, parts)).encode()
    return int.from_bytes(hashlib.sha256(text).digest(), "big")


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from any labels: how each job, reply or fault gets its own stable randomness."""
    return seed_of(SEP.join(map(str, parts)))


def seed_of(labels: str) -> int:
    """`derive_seed` of labels already joined with SEP: loops that derive a seed per step or per event
    build the text with one f-string (the low 64 bits of the digest are its last 8 bytes)."""
    return int.from_bytes(hashlib.sha256(labels.encode()).digest()[24:], "big")


_ZERO_HALF = bytes(16)  # a digest whose first half is zero is below 2**128: 31 hex digits peeled off it
# would leave less than 16, and the token re-digests (see `_spell`)


# Two alphanumerics at a time, least significant first: half the divisions of spelling one by one.
_PAIRS = tuple(ALPHANUMERIC[n % 62] + ALPHANUMERIC[n // 62] for n in range(62 * 62))


def alphanumerics(value: int, length: int) -> str:
    """The `length` least significant base-62 digits of `value` as ALPHANUMERIC, least significant first."""
    pairs = []
    for _ in range(length // 2):
        value, pair = divmod(value, 62 * 62)
        pairs.append(_PAIRS[pair])
    if length % 2:
        pairs.append(ALPHANUMERIC[value % 62])
    return "".join(pairs)


def _spell(value: int, kind: str, n: int, length: int, alphabet: str) -> str:
    """`length` characters of `alphabet` from `value`, least significant first, re-digesting when the
    value runs out (which a value of at least len(alphabet)**length never does)."""
    if alphabet == ALPHANUMERIC and value >= 62**length:
        return alphanumerics(value, length)
    chars = []
    for _ in range(length):
        value, index = divmod(value, len(alphabet))
        chars.append(alphabet[index])
        if value < len(alphabet):
            value = _digest(value, kind, n, len(chars))
    return "".join(chars)


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
        return _spell(_digest(self.seed, self.namespace, kind, n), kind, n, length, alphabet)

    def new(self, prefix: str, length: int = 24, alphabet: str = ALPHANUMERIC) -> str:
        if self._chosen:
            with self._lock:
                chosen = self._chosen.pop(prefix, None)
            if chosen is not None:
                return chosen
        return prefix + self.token(prefix, length, alphabet)

    def request_id(self) -> str:
        """`req_` + 32 hex digits: `token("req_", 32, HEX)`, read straight off the digest's last 16 bytes.

        Dividing by 16 peels the digest's hex digits from the least significant end, so the token is those
        digits reversed; the slow path re-digests only when fewer than 33 hex digits remain (a digest
        below 2**128, about never), and is taken then so the ids stay exactly what they were."""
        with self._lock:
            self._counters["req_"] += 1
            n = self._counters["req_"]
        digest = hashlib.sha256(f"{self.seed}\x1f{self.namespace}\x1freq_\x1f{n}".encode()).digest()
        if digest[:16] != _ZERO_HALF:  # the digest, read as a number, is at least 2**128
            return "req_" + digest[16:].hex()[::-1]
        return "req_" + _spell(int.from_bytes(digest, "big"), "req_", n, 32, HEX)

    def rng(self, *labels: object) -> random.Random:
        """A private random stream for one purpose (a job's loss curve, a reply's wording)."""
        return random.Random(derive_seed(self.seed, self.namespace, *labels))
