"""Token counting with OpenAI's tokenizers: usage, trained_tokens and data-preparation estimates.

Interface used across the emulator; the implementation below is a deterministic estimate until the real
encodings are wired in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["count_chat_example", "count_tokens", "encoding_for_model"]

_PIECES = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]{1,3}| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+")


def encoding_for_model(model: str) -> str:
    """cl100k_base for gpt-3.5/gpt-4/babbage-002/davinci-002, o200k_base for gpt-4o, gpt-4.1 and o-series."""
    base = model.split(":")[1] if model.startswith("ft:") else model
    if base.startswith(("gpt-4o", "gpt-4.1", "o1", "o3", "o4", "omni-")):
        return "o200k_base"
    return "cl100k_base"


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    return len(_PIECES.findall(text))


def count_chat_example(messages: Iterable[Mapping[str, Any]], encoding: str = "cl100k_base") -> int:
    """The cookbook's count: 3 per message, every string value, +1 per name, +3 to prime the reply."""
    total = 0
    for message in messages:
        total += 3
        for key, value in message.items():
            if isinstance(value, str):
                total += count_tokens(value, encoding)
            if key == "name":
                total += 1
    return total + 3
