"""What a fine-tuned model learned: its training examples, indexed for exact and nearest-example replies.

A *Memory* is built once from a training file (streamed line by line) and then only read:

* every assistant turn of a chat example (`weight` 0 turns excepted), the DPO `preferred_output`, or a
  legacy `completion` becomes one example: the messages before it (or the `prompt`) → that reply;
* **exact match**: the request's messages equal an example's context (same roles, names, tool calls and
  text, surrounding whitespace ignored), or a legacy prompt equals a training prompt → that reply;
* otherwise **nearest example**: the highest Jaccard similarity |A∩B| / |A∪B| between the lower-cased word
  sets (`\\w+`) of the request's non-assistant text and of each example's; ties go to the earlier line.

Bounds: the first 10,000 examples (and at most 4 million characters of replies) are remembered, each by
at most 256 distinct words and a reply of at most 32,000 characters. Candidates come from an inverted
index over the query's less common words (at most 2,000 candidates), so a lookup never scans the whole
file and never re-reads it. Memories are cached by the training file's content hash (8 at most, least
recently used dropped), so a model's file is read on its first completion only.
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Example",
    "Memory",
    "Reply",
    "chat_key",
    "chat_words",
    "learned",
    "memory_for",
    "prompt_words",
    "remember",
]

MAX_EXAMPLES = 10_000
MAX_WORDS = 256
MAX_REPLY_CHARS = 32_000
MAX_TOTAL_REPLY_CHARS = 4_000_000
MAX_CANDIDATES = 2_000
_CACHE_SIZE = 8
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Reply:
    """What the model says: text, or calls as (function name, JSON arguments)."""

    text: str | None
    calls: tuple[tuple[str, str], ...] = ()
    legacy_function: bool = False  # trained with `function_call` rather than `tool_calls`


@dataclass(frozen=True)
class Example:
    line: int
    key: str
    words: frozenset[str]
    reply: Reply


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text") or "") for p in content if isinstance(p, Mapping))
    return ""


def _calls(message: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(function, Mapping):
            calls.append((str(function.get("name", "")), str(function.get("arguments", ""))))
    legacy = message.get("function_call")
    if isinstance(legacy, Mapping):
        calls.append((str(legacy.get("name", "")), str(legacy.get("arguments", ""))))
    return tuple(calls)


def chat_key(messages: Sequence[Mapping[str, Any]]) -> str:
    """The exact-match key of a conversation: roles, names, tool calls and stripped text."""
    parts = [
        [str(m.get("role", "")), str(m.get("name") or ""), _text(m.get("content")).strip(), list(_calls(m))]
        for m in messages
    ]
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def _words(text: str) -> frozenset[str]:
    out: dict[str, None] = {}
    for match in _WORD.finditer(text.lower()):
        out.setdefault(match.group(), None)
        if len(out) >= MAX_WORDS:
            break
    return frozenset(out)


def chat_words(messages: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """The words similarity looks at: every non-assistant message's text."""
    return _words(" ".join(_text(m.get("content")) for m in messages if m.get("role") != "assistant"))


def prompt_words(prompt: str) -> frozenset[str]:
    return _words(prompt)


def _reply(message: Mapping[str, Any]) -> Reply:
    calls = _calls(message)
    text = _text(message.get("content"))[:MAX_REPLY_CHARS]
    return Reply(
        text if text or not calls else None,
        calls,
        "function_call" in message and not message.get("tool_calls"),
    )


class Memory:
    """Examples in file order, an exact-match table and an inverted word index."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "chat" or "completion"
        self.examples: list[Example] = []
        self._exact: dict[str, int] = {}
        self._postings: dict[str, list[int]] = {}
        self.truncated = False
        self._reply_chars = 0

    def __len__(self) -> int:
        return len(self.examples)

    def add(self, line: int, key: str, words: frozenset[str], reply: Reply) -> bool:
        size = len(reply.text or "") + sum(len(name) + len(args) for name, args in reply.calls)
        if len(self.examples) >= MAX_EXAMPLES or self._reply_chars + size > MAX_TOTAL_REPLY_CHARS:
            self.truncated = True
            return False
        self._reply_chars += size
        index = len(self.examples)
        self.examples.append(Example(line, key, words, reply))
        self._exact.setdefault(key, index)
        for word in words:
            self._postings.setdefault(word, []).append(index)
        return True

    def add_line(self, line: int, record: Any) -> None:
        if not isinstance(record, Mapping):
            return
        if self.kind == "completion":
            if isinstance(record.get("prompt"), str) and isinstance(record.get("completion"), str):
                prompt = record["prompt"]
                self.add(line, prompt, prompt_words(prompt), Reply(record["completion"][:MAX_REPLY_CHARS]))
            return
        messages = record.get("messages")
        if messages is None and isinstance(record.get("input"), Mapping):  # DPO preference line
            messages = record["input"].get("messages")
            preferred = record.get("preferred_output")
            if isinstance(messages, list) and isinstance(preferred, list) and preferred:
                prompt = [m for m in messages if isinstance(m, Mapping)]
                if isinstance(preferred[0], Mapping):
                    self.add(line, chat_key(prompt), chat_words(prompt), _reply(preferred[0]))
            return
        if not isinstance(messages, list):
            return
        context: list[Mapping[str, Any]] = []
        for message in messages:
            if not isinstance(message, Mapping):
                return
            if message.get("role") == "assistant" and message.get("weight", 1) != 0:
                if not self.add(line, chat_key(context), chat_words(context), _reply(message)):
                    return
            context.append(message)

    def exact(self, key: str) -> Example | None:
        index = self._exact.get(key)
        return None if index is None else self.examples[index]

    def rank(self, key: str, words: frozenset[str], limit: int) -> list[tuple[float, Example]]:
        """Up to `limit` examples, best first: the exact match (score 2.0), then by Jaccard similarity."""
        ranked: list[tuple[float, Example]] = []
        seen: set[int] = set()
        exact = self._exact.get(key)
        if exact is not None:
            ranked.append((2.0, self.examples[exact]))
            seen.add(exact)
        candidates = self._candidates(words)
        scored = []
        for index in candidates:
            if index in seen:
                continue
            other = self.examples[index].words
            union = len(words | other)
            scored.append((len(words & other) / union if union else 0.0, index))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        ranked += [(score, self.examples[index]) for score, index in scored[: max(0, limit - len(ranked))]]
        return ranked

    def _candidates(self, words: Iterable[str]) -> list[int]:
        lists = sorted((self._postings[w] for w in words if w in self._postings), key=len)
        found: dict[int, None] = {}
        for postings in lists:  # rarest words first: they say most about which example is meant
            for index in postings:
                found.setdefault(index, None)
                if len(found) >= MAX_CANDIDATES:
                    return list(found)
        if not found:
            return list(range(min(len(self.examples), MAX_CANDIDATES)))
        return list(found)


def build(lines: Iterable[bytes], kind: str) -> Memory:
    memory = Memory(kind)
    for number, raw in enumerate(lines, start=1):
        if memory.truncated:
            break
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        memory.add_line(number, record)
    return memory


# Memories are immutable once built and keyed by content hash, like the encoders: safe to share. The
# per-tenant map (model id → hash) dies with its tenant, so a reset forgets which model learned what.
_CACHE: OrderedDict[str, Memory] = OrderedDict()
_SOURCES: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _cached(key: str) -> Memory | None:
    with _LOCK:
        memory = _CACHE.get(key)
        if memory is not None:
            _CACHE.move_to_end(key)
        return memory


def _store(key: str, memory: Memory) -> None:
    with _LOCK:
        _CACHE[key] = memory
        _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


def remember(tenant: Any, model_id: str, blob: Any, kind: str) -> Memory:
    """Learn `blob` (a training file) for `model_id`; the jobs code may call this when a model is made."""
    key = f"{kind}:{blob.md5}:{blob.size}"
    with _LOCK:
        _SOURCES.setdefault(tenant, {})[model_id] = key
    memory = _cached(key)
    if memory is None:
        memory = build(blob.lines(), kind)
        _store(key, memory)
    return memory


def _training_blob(tenant: Any, record: Any) -> Any:
    """The bytes the model's job trained on, held by the job since it was created: deleting the training
    file afterwards does not change what the model learned."""
    job_id = getattr(record, "job_id", None)
    store = getattr(tenant, "jobs", None)
    jobs = getattr(store, "jobs", store)  # the JobStore keeps its jobs in a Collection
    if not job_id or jobs is None:
        return None
    return getattr(jobs.get(job_id), "training_blob", None)


def learned(tenant: Any, record: Any) -> Memory | None:
    """The model's memory when it is built already (what `memory_for` then returns at once), else None."""
    with _LOCK:
        key = _SOURCES.get(tenant, {}).get(record.id)
    return _cached(key) if key is not None else None


def memory_for(tenant: Any, record: Any, kind: str) -> Memory | None:
    """The memory of a fine-tuned (or checkpoint) model, built on first use; None when nothing is known."""
    with _LOCK:
        key = _SOURCES.get(tenant, {}).get(record.id)
    if key is not None:
        memory = _cached(key)
        if memory is not None:
            return memory
    blob = _training_blob(tenant, record)
    if blob is None:
        return None
    return remember(tenant, record.id, blob, kind)
