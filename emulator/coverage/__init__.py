"""Coverage of a client's session: what it called, what it met, and a verdict on how it behaved."""

from __future__ import annotations

from .observe import Observation as Observation
from .observe import ObservationLog as ObservationLog
from .report import Coverage as Coverage
from .report import summary_lines as summary_lines
from .verdict import Finding as Finding

__all__ = ["Coverage", "Finding", "Observation", "ObservationLog", "summary_lines"]
