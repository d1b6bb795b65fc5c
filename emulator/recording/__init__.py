"""Recording real traffic (a proxy that writes cassettes) and replaying it against the emulator (drift)."""

from __future__ import annotations

from .cassette import Cassette as Cassette
from .cassette import CassetteError as CassetteError
from .cassette import load_cassettes as load_cassettes

__all__ = ["Cassette", "CassetteError", "load_cassettes"]
