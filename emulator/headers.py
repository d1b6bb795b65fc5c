"""Reading raw ASGI headers: a layer that needs a few named headers picks them without decoding the rest."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["picked"]


def picked(headers: Iterable[tuple[bytes, bytes]], names: frozenset[bytes]) -> dict[str, str]:
    """The headers named (lower case), as a dict of the last value of each."""
    return {
        key.decode("latin-1"): value.decode("latin-1")
        for name, value in headers
        if (key := name.lower()) in names
    }
