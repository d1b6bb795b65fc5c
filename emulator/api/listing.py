"""Cursor pages for the control plane's lists (journal, scenarios, library), shaped like the API's own:
`limit` (1..max), `after` (the last id of the previous page), and `first_id`, `last_id`, `has_more`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from starlette.requests import Request

from .common import page_params

__all__ = ["CONTROL_DEFAULT_LIMIT", "CONTROL_MAX_LIMIT", "list_page"]

T = TypeVar("T")

CONTROL_DEFAULT_LIMIT = 100
CONTROL_MAX_LIMIT = 10_000  # the journal's default capacity: one page can hold all of it


def list_page(
    request: Request,
    items: Sequence[T],
    id_of: Callable[[T], str],
    render: Callable[[T], dict[str, Any]],
) -> dict[str, Any]:
    """One page of `items` (in their order) after the `after` cursor; an unknown cursor is an empty page,
    as the API's lists answer."""
    params = page_params(request, default_limit=CONTROL_DEFAULT_LIMIT, max_limit=CONTROL_MAX_LIMIT)
    limit, after = params["limit"], params["after"]
    start = 0
    if after is not None:
        ids = [id_of(item) for item in items]
        start = ids.index(after) + 1 if after in ids else len(items)
    data = list(items[start : start + limit])
    return {
        "object": "list",
        "data": [render(item) for item in data],
        "first_id": id_of(data[0]) if data else None,
        "last_id": id_of(data[-1]) if data else None,
        "has_more": start + limit < len(items),
    }
