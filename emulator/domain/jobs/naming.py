"""Names a job derives from its key instead of storing: event ids (reversible, for `after` cursors),
checkpoint ids and the 8-character ids in fine-tuned model names.

An event id is `ftevent-` + 24 alphanumerics: 6 characters carry the event's index through a keyed 4-round
Feistel permutation of 32 bits (so consecutive events look unrelated), 18 more are a keyed hash of the
index. `decode` inverts the permutation and checks the hash, so a cursor costs O(1) and an id from another
job (or a made-up one) is recognised as unknown.
"""

from __future__ import annotations

from ...ids import ALPHANUMERIC, SEP, alphanumerics, derive_seed, seed_of
from ..azure_names import hex_token

__all__ = ["EventIds", "HexEventIds", "token"]

_BASE = len(ALPHANUMERIC)
_INDEX_CHARS = 6  # 62**6 > 2**32
_TAIL_CHARS = 18
_ROUNDS = 4


def token(length: int, *labels: object) -> str:
    """`length` alphanumerics fixed by `labels`."""
    return _spell(SEP.join(map(str, labels)), length)


def _spell(labels: str, length: int) -> str:
    """`token` of labels already joined with SEP. A 128-bit value spells 21 digits; a shorter token runs
    out only from a value below 62**length (about never), and then draws more, digit by digit."""
    value = seed_of(labels + SEP + "hi") << 64 | seed_of(labels + SEP + "lo")
    if value >= _BASE**length:
        return alphanumerics(value, length)
    chars = []
    for n in range(length):
        if value < _BASE:
            value = derive_seed(labels, "more", n) << 64 | derive_seed(labels, "more-lo", n)
        value, index = divmod(value, _BASE)
        chars.append(ALPHANUMERIC[index])
    return "".join(chars)


class EventIds:
    """One job's event ids. A page encodes many: the labels of their seeds are joined once, here."""

    prefix = "ftevent-"

    def __init__(self, key: int) -> None:
        self.key = key
        self._rounds = tuple(f"{key}{SEP}feistel{SEP}{r}{SEP}" for r in range(_ROUNDS))
        self._tails = f"{key}{SEP}event{SEP}"

    def _f(self, round_: int, half: int) -> int:
        return seed_of(self._rounds[round_] + str(half)) & 0xFFFF

    def _permute(self, value: int) -> int:
        left, right = value >> 16, value & 0xFFFF
        for r in range(_ROUNDS):
            left, right = right, left ^ self._f(r, right)
        return left << 16 | right

    def _unpermute(self, value: int) -> int:
        left, right = value >> 16, value & 0xFFFF
        for r in reversed(range(_ROUNDS)):
            left, right = right ^ self._f(r, left), left
        return left << 16 | right

    def encode(self, index: int) -> str:
        head = alphanumerics(self._permute(index), _INDEX_CHARS)
        return self.prefix + head + _spell(self._tails + str(index), _TAIL_CHARS)

    def decode(self, event_id: str) -> int | None:
        """The index of an id this job issued, or None."""
        body = event_id[len(self.prefix) :]
        if not event_id.startswith(self.prefix) or len(body) != _INDEX_CHARS + _TAIL_CHARS:
            return None
        value = 0
        for char in reversed(body[:_INDEX_CHARS]):
            digit = ALPHANUMERIC.find(char)
            if digit < 0:
                return None
            value = value * _BASE + digit
        if value >= 2**32:
            return None
        index = self._unpermute(value)
        return index if self.encode(index) == event_id else None


class HexEventIds(EventIds):
    """Azure's event ids: `ftevent-` + 32 hex digits, 8 carrying the permuted index (reversible, as above)
    and 24 a keyed hash of it."""

    def encode(self, index: int) -> str:
        return f"{self.prefix}{self._permute(index):08x}{hex_token(self.key, 'event', index)[:24]}"

    def decode(self, event_id: str) -> int | None:
        body = event_id[len(self.prefix) :]
        if not event_id.startswith(self.prefix) or len(body) != 32:
            return None
        try:
            value = int(body[:8], 16)
        except ValueError:
            return None
        index = self._unpermute(value)
        return index if self.encode(index) == event_id else None
