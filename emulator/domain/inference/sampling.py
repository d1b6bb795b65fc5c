"""From reply text to what the API returns: stop and length cuts, per-token pieces and log probabilities."""

from __future__ import annotations

import codecs
import random
from collections.abc import Sequence
from dataclasses import dataclass

from .. import tokens

__all__ = ["Cut", "cut", "logprob_entries", "pieces", "token_text", "usage"]


@dataclass(frozen=True)
class Cut:
    text: str
    tokens: list[int]
    finish_reason: str  # "stop" or "length"


def cut(text: str, stop: Sequence[str], budget: int, encoding: str) -> Cut:
    """The text a model emits: up to the earliest stop sequence (which is left out), then at most `budget`
    tokens; a budget cut may split a character, which then reads as U+FFFD, as it does from OpenAI."""
    finish = "stop"
    positions = [text.find(s) for s in stop if s]
    positions = [p for p in positions if p >= 0]
    if positions:
        text = text[: min(positions)]
    ids = tokens.encode(text, encoding)
    if len(ids) > budget:
        ids = ids[:budget]
        text = tokens.decode(ids, encoding)
        finish = "length"
    return Cut(text, ids, finish)


def token_text(token: int, encoding: str) -> str:
    """A token as OpenAI names it in logprobs: its text, or `bytes:\\xNN…` when it splits a character."""
    raw = tokens.token_bytes(token, encoding)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "bytes:" + "".join(f"\\x{b:02x}" for b in raw)


def pieces(ids: Sequence[int], encoding: str) -> list[tuple[str, list[int]]]:
    """Stream pieces: one per token, except that a token ending inside a UTF-8 character waits for the
    next one. Joined, the pieces equal `tokens.decode(ids)` exactly."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    out: list[tuple[str, list[int]]] = []
    pending: list[int] = []
    for position, token in enumerate(ids):
        pending.append(position)
        text = decoder.decode(tokens.token_bytes(token, encoding))
        if text:
            out.append((text, pending))
            pending = []
    tail = decoder.decode(b"", final=True)
    if tail or pending:
        out.append((tail, pending))
    return out


def _alternatives(chosen: int, count: int, encoding: str, rng: random.Random) -> list[int]:
    found: list[int] = []
    tries = 0
    while len(found) < count and tries < count * 20:
        tries += 1
        candidate = rng.randrange(256, 30_000)
        if candidate == chosen or candidate in found:
            continue
        try:
            tokens.token_bytes(candidate, encoding).decode("utf-8")
        except (UnicodeDecodeError, KeyError, ValueError):
            continue
        found.append(candidate)
    return found


def logprob_entries(
    ids: Sequence[int], top: int, encoding: str, rng: random.Random
) -> list[dict[str, object]]:
    """`ChatCompletionTokenLogprob` objects: the emitted token is always the most likely one, followed
    by `top - 1` real vocabulary tokens with lower, seeded log probabilities."""
    out: list[dict[str, object]] = []
    for token in ids:
        logprob = -round((rng.random() ** 3) * 1.5, 6)
        entry_top = []
        if top:
            entry_top.append(_entry(token, logprob, encoding))
            current = logprob
            for alternative in _alternatives(token, top - 1, encoding, rng):
                current = round(current - rng.uniform(0.5, 3.0), 6)
                entry_top.append(_entry(alternative, current, encoding))
        out.append({**_entry(token, logprob, encoding), "top_logprobs": entry_top})
    return out


def _entry(token: int, logprob: float, encoding: str) -> dict[str, object]:
    return {
        "token": token_text(token, encoding),
        "logprob": logprob,
        "bytes": list(tokens.token_bytes(token, encoding)),
    }


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, object]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
