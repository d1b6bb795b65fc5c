"""The one JSON body parser: bounded in nesting depth, so a hostile body costs a 400, never a crash."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["DEFAULT_MAX_DEPTH", "parse_json"]

DEFAULT_MAX_DEPTH = 64


def parse_json(raw: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Decode `raw`; ValueError when it is not JSON or nests arrays/objects deeper than `max_depth`.

    `NaN` and `Infinity` decode to floats (Python's `json.dumps` writes them): parameter checks name them.
    """
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if _too_deep(value, max_depth):
        raise ValueError(f"nested deeper than {max_depth} levels")
    return value


def _too_deep(value: Any, max_depth: int) -> bool:
    """Iterative, so the check itself cannot recurse too deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
