"""An ordered table of records with O(1) lookup and O(limit) cursor pages, the one paginator."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["Collection", "Page"]


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)


@dataclass(frozen=True)
class Page(Generic[T]):
    data: list[T]
    has_more: bool

    @property
    def first_id(self) -> str | None:
        return self.data[0].id if self.data else None

    @property
    def last_id(self) -> str | None:
        return self.data[-1].id if self.data else None

    def to_dict(
        self, render: Callable[[T], dict[str, Any]], *, cursors: bool = False, empty_cursor: str | None = None
    ) -> dict[str, Any]:
        """The list envelope. `cursors` adds first_id/last_id; `empty_cursor` is what they are on an empty
        page (None where the spec allows null, "" where it insists on a string, as for files)."""
        body: dict[str, Any] = {"object": "list", "data": [render(item) for item in self.data]}
        if cursors:
            body["first_id"] = self.first_id if self.data else empty_cursor
            body["last_id"] = self.last_id if self.data else empty_cursor
        body["has_more"] = self.has_more
        return body


class Collection(Generic[T]):
    """Insertion-ordered records. Removal leaves a hole that is compacted away once holes dominate.

    One dict (id -> position) and one list (records in order, None for a hole): a table of 100k records
    keeps one hash table, not one for lookups and another for cursors."""

    def __init__(self) -> None:
        self._order: list[T | None] = []
        self._position: dict[str, int] = {}
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._position)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._position

    def __iter__(self) -> Iterator[T]:
        return iter([item for item in self._order if item is not None])

    def add(self, item: T) -> T:
        with self._lock:
            if item.id in self._position:
                raise KeyError(f"duplicate id {item.id}")
            self._position[item.id] = len(self._order)
            self._order.append(item)
            return item

    def get(self, item_id: str) -> T | None:
        with self._lock:  # a removal may compact the dict and the list meanwhile
            position = self._position.get(item_id)
            return None if position is None else self._order[position]

    def remove(self, item_id: str) -> T | None:
        with self._lock:
            position = self._position.pop(item_id, None)
            if position is None:
                return None
            item, self._order[position] = self._order[position], None
            if len(self._order) > 32 and len(self._position) * 2 < len(self._order):
                self._order = [i for i in self._order if i is not None]
                self._position = {i.id: n for n, i in enumerate(self._order) if i is not None}
            return item

    def page(
        self,
        *,
        limit: int,
        after: str | None = None,
        newest_first: bool = True,
        where: Callable[[T], bool] | None = None,
    ) -> Page[T]:
        """Items strictly after `after` in the chosen order; an unknown cursor gives an empty page."""
        with self._lock:
            order = self._order
            step = -1 if newest_first else 1
            if after is None:
                start = len(order) - 1 if newest_first else 0
            elif after in self._position:
                start = self._position[after] + step
            else:
                return Page([], False)
            found: list[T] = []
            index = start
            while 0 <= index < len(order) and len(found) <= limit:
                item = order[index]
                if item is not None and (where is None or where(item)):
                    found.append(item)
                index += step
        return Page(found[:limit], len(found) > limit)
