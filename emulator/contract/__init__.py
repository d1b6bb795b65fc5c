"""OpenAI's API contract, shipped with the emulator: the spec, its known departures, and the runtime check."""

from __future__ import annotations

from .departures import DEPARTURES as DEPARTURES
from .departures import UNSPECIFIED_ROUTES as UNSPECIFIED_ROUTES
from .spec import Contract as Contract
from .spec import Operation as Operation
from .spec import load as load

__all__ = ["DEPARTURES", "UNSPECIFIED_ROUTES", "Contract", "Operation", "load"]
