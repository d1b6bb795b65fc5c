"""The request journal: what each tenant asked, what it got, and which scenario rule (if any) fired."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Journal", "JournalEntry"]


@dataclass(frozen=True, slots=True)
class JournalEntry:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    request_id: str
    timestamp: float
    organization: str | None = None
    rule: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    # For the dashboard only, kept out of to_dict (wall-clock latency would make the journal vary by machine):
    latency_ms: float | None = field(default=None, compare=False)
    # The JSON body answered, when small enough: kept as sent and parsed only when the dashboard shows it.
    raw_response: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def response(self) -> Any:
        """The JSON body answered (None: not kept, or not JSON)."""
        if not self.raw_response:
            return None
        try:
            return json.loads(self.raw_response)
        except ValueError:
            return None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["extra"] = dict(self.extra)
        del data["latency_ms"], data["raw_response"]
        return data

    def matches(self, method: str | None, path: str | None, status: int | None) -> bool:
        return (
            (method is None or self.method == method.upper())
            and (path is None or self.path == path)
            and (status is None or self.status == status)
        )


class Journal:
    """A bounded log; the oldest entries fall off past `limit`."""

    def __init__(self, limit: int) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def find(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        organization: str | None = None,
    ) -> list[JournalEntry]:
        with self._lock:
            entries = list(self._entries)
        return [
            e
            for e in entries
            if e.matches(method, path, status) and (organization is None or e.organization == organization)
        ]

    def recent(self, limit: int, where: Callable[[JournalEntry], bool] | None = None) -> list[JournalEntry]:
        """The newest `limit` entries that pass `where`, newest first, without copying the whole log."""
        with self._lock:
            out: list[JournalEntry] = []
            for entry in reversed(self._entries):
                if where is None or where(entry):
                    out.append(entry)
                    if len(out) == limit:
                        break
            return out

    def clear(self, organization: str | None = None) -> None:
        with self._lock:
            if organization is None:
                self._entries.clear()
            else:
                kept = [e for e in self._entries if e.organization != organization]
                self._entries.clear()
                self._entries.extend(kept)
