"""The request journal: what each tenant asked, what it got, and which scenario rule (if any) fired."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Journal", "JournalEntry"]


@dataclass(frozen=True)
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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["extra"] = dict(self.extra)
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

    def clear(self, organization: str | None = None) -> None:
        with self._lock:
            if organization is None:
                self._entries.clear()
            else:
                kept = [e for e in self._entries if e.organization != organization]
                self._entries.clear()
                self._entries.extend(kept)
