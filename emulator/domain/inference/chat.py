"""Chat completions: deterministic answers (learned or generated), tool calls, JSON modes, usage, chunks.

An answer is a function of (emulator seed, served model, messages, response_format, tools, tool_choice,
request seed, choice index) and nothing else, so the same request always gets the same text, streamed
or not. `temperature: 0` makes every choice equal to the first.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...ids import ALPHANUMERIC, derive_seed
from .. import tokens
from . import memory as memories
from . import structured, text
from .contract import ChatRequest, Tool
from .memory import Reply
from .sampling import cut, logprob_entries, pieces, usage
from .serving import ServedModel, check_budget

__all__ = ["ChatCompletion", "answer"]

_NAME_PARTS = re.compile(r"[A-Za-z][a-z]*|[0-9]+")
_WORD = re.compile(r"\w+")


@dataclass
class Call:
    id: str
    name: str
    arguments: str
    tokens: list[int]


@dataclass
class Choice:
    index: int
    content: str | None
    tokens: list[int]
    finish_reason: str
    calls: list[Call] = field(default_factory=list)
    legacy_function: bool = False
    logprobs: list[dict[str, Any]] | None = None

    @property
    def completion_tokens(self) -> int:
        return len(self.tokens) + sum(len(c.tokens) for c in self.calls)

    def message(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "role": "assistant",
            "content": self.content,
            "refusal": None,
            "annotations": [],
        }
        if self.calls and self.legacy_function:
            body["function_call"] = {"name": self.calls[0].name, "arguments": self.calls[0].arguments}
        elif self.calls:
            body["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in self.calls
            ]
        return body


@dataclass
class ChatCompletion:
    id: str
    created: int
    model: ServedModel
    request: ChatRequest
    prompt_tokens: int
    choices: list[Choice]
    obfuscation_seed: int = 0

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.choices)

    def usage(self) -> dict[str, Any]:
        return usage(self.prompt_tokens, self.completion_tokens)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model.name,
            "choices": [
                {
                    "index": c.index,
                    "message": c.message(),
                    "logprobs": None if c.logprobs is None else {"content": c.logprobs, "refusal": None},
                    "finish_reason": c.finish_reason,
                }
                for c in self.choices
            ],
            "usage": self.usage(),
            "service_tier": _tier(self.request),
            "system_fingerprint": self.model.fingerprint,
        }

    def chunks(self) -> Iterator[dict[str, Any]]:
        """The stream, as OpenAI sends it (reference §9.3): a role chunk per choice, one piece per token
        (round-robin across choices), a finish chunk per choice, then the usage chunk if asked for."""
        for choices, totals, obfuscation in self._parts():
            body = self._head() | {"choices": choices}
            if self.request.include_usage:
                body["usage"] = totals
            if obfuscation is not None:
                body["obfuscation"] = obfuscation
            yield body

    def encoded_chunks(self) -> Iterator[bytes]:
        """`chunks()`, each as the JSON bytes `json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))`
        gives, with the fields every chunk shares encoded once: only the choices (and usage, obfuscation)
        are encoded per chunk."""
        head = _encode(self._head())[:-1] + b',"choices":'
        include_usage = self.request.include_usage
        for choices, totals, obfuscation in self._parts():
            parts = [head, _encode(choices)]
            if include_usage:
                parts += [b',"usage":', _encode(totals)]
            if obfuscation is not None:  # alphanumerics: the JSON string is the text in quotes
                parts += [b',"obfuscation":"', obfuscation.encode(), b'"']
            parts.append(b"}")
            yield b"".join(parts)

    def _head(self) -> dict[str, Any]:
        """The fields every chunk shares, in the order they come."""
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model.name,
            "service_tier": _tier(self.request),
            "system_fingerprint": self.model.fingerprint,
        }

    def _parts(self) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any] | None, str | None]]:
        """Each chunk's (choices, usage, obfuscation) in stream order; the obfuscation padding is drawn
        from one seeded stream, chunk after chunk (None when not asked for)."""
        encoding = self.model.encoding
        rng = random.Random(self.obfuscation_seed) if self.request.include_obfuscation else None
        streams = [list(_choice_chunks(c, encoding)) for c in self.choices]
        longest = max((len(s) for s in streams), default=0)
        for step in range(longest):
            for stream in streams:
                if step < len(stream):
                    yield [stream[step]], None, _obfuscation(rng)
        if self.request.include_usage:
            yield [], self.usage(), _obfuscation(rng)


def _obfuscation(rng: random.Random | None) -> str | None:
    """1 to 16 alphanumerics (None without a stream to draw them from)."""
    if rng is None:
        return None
    choice = rng.choice
    return "".join([choice(ALPHANUMERIC) for _ in range(rng.randint(1, 16))])


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # stateless: shared by every chunk


def _encode(value: Any) -> bytes:
    return _ENCODER.encode(value).encode()


def _tier(request: ChatRequest) -> str:
    return request.service_tier if request.service_tier in ("flex", "scale", "priority") else "default"


def _choice_chunks(choice: Choice, encoding: str) -> Iterator[dict[str, Any]]:
    def chunk(delta: dict[str, Any], logprobs: Any = None, finish: str | None = None) -> dict[str, Any]:
        return {"index": choice.index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}

    if not choice.calls:
        yield chunk({"role": "assistant", "content": "", "refusal": None})
        for piece, positions in pieces(choice.tokens, encoding):
            logprobs = None
            if choice.logprobs is not None:
                logprobs = {"content": [choice.logprobs[p] for p in positions], "refusal": None}
            yield chunk({"content": piece}, logprobs)
    elif choice.legacy_function:
        call = choice.calls[0]
        yield chunk(
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": call.name, "arguments": ""},
                "refusal": None,
            }
        )
        for piece, _ in pieces(call.tokens, encoding):
            yield chunk({"function_call": {"arguments": piece}})
    else:
        for number, call in enumerate(choice.calls):
            header = {
                "index": number,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            if number == 0:
                yield chunk({"role": "assistant", "content": None, "tool_calls": [header], "refusal": None})
            else:
                yield chunk({"tool_calls": [header]})
            for piece, _ in pieces(call.tokens, encoding):
                yield chunk({"tool_calls": [{"index": number, "function": {"arguments": piece}}]})
    yield chunk({}, None, choice.finish_reason)


# ------------------------------------------------------------------------------------------------ answer


def _tool_dicts(tools: tuple[Tool, ...]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in tools
    ]


def answer(tenant: Any, model: ServedModel, request: ChatRequest, now: float) -> ChatCompletion:
    """Answer a checked request with `model` (see the module docstring for what the answer depends on).

    Raises:
        InvalidRequestError: the request cannot fit the model's context or output limits.
    """
    encoding = model.encoding
    prompt_tokens = tokens.count_chat_prompt(
        request.messages, encoding, tools=_tool_dicts(request.tools) if request.tools else None
    )
    budget = check_budget(model, prompt_tokens, request.max_tokens, request.max_tokens_param)
    ranked: list[Reply] = []
    key = memories.chat_key(request.messages)
    if model.record is not None:
        learned = memories.memory_for(model.owner or tenant, model.record, "chat")
        if learned is not None and len(learned):
            found = learned.rank(key, memories.chat_words(request.messages), 8)
            ranked = list(dict.fromkeys(example.reply for _, example in found))  # distinct, best first
    base_seed = derive_seed(
        tenant.ids.seed,
        "chat",
        model.name,
        key,
        json.dumps(
            [request.response_format, _tool_dicts(request.tools), request.tool_choice],
            sort_keys=True,
            default=str,
        ),
        request.seed,
    )
    choices = []
    first: Choice | None = None
    for index in range(request.n):
        if first is not None and request.temperature == 0:
            choices.append(_copy(first, index, tenant))
            continue
        rng = random.Random(derive_seed(base_seed, index))
        candidate = ranked[index] if index < len(ranked) else None
        reply = _decide(request, candidate, rng)
        choice = _realise(tenant, index, reply, request, budget, encoding, rng)
        first = first or choice
        choices.append(choice)
    return ChatCompletion(
        id=tenant.ids.new("chatcmpl-", 29),
        created=int(now),
        model=model,
        request=request,
        prompt_tokens=prompt_tokens,
        choices=choices,
        obfuscation_seed=derive_seed(base_seed, "obfuscation"),
    )


def _copy(choice: Choice, index: int, tenant: Any) -> Choice:
    calls = [Call(tenant.ids.new("call_", 24), c.name, c.arguments, c.tokens) for c in choice.calls]
    return Choice(
        index,
        choice.content,
        choice.tokens,
        choice.finish_reason,
        calls,
        choice.legacy_function,
        choice.logprobs,
    )


def _words(text_: str) -> set[str]:
    return {w for w in _WORD.findall(text_.lower())}


def _tool_match(tool: Tool, words: set[str]) -> int:
    """How strongly the user's last message points at a tool: shared name parts and long description words."""
    parts = {p.lower() for p in _NAME_PARTS.findall(tool.name)}
    described = {w for w in _words(tool.description) if len(w) >= 5}
    return len(parts & words) * 2 + len(described & words)


def _last_user_words(request: ChatRequest) -> tuple[set[str], str]:
    last = request.messages[-1]
    content = last.get("content")
    if isinstance(content, list):
        content = " ".join(str(p.get("text") or "") for p in content if isinstance(p, Mapping))
    return _words(content or ""), str(last.get("role"))


def _args_ok(arguments: str, tool: Tool) -> bool:
    try:
        value = json.loads(arguments)
    except ValueError:
        return False
    return isinstance(value, dict) and structured.matches(value, tool.parameters or {})


def _decide(request: ChatRequest, candidate: Reply | None, rng: random.Random) -> Reply:
    """Text or tool calls: forced calls always, learned calls when the tool is offered, otherwise a call
    only for `required` or when the user's last message names a tool (auto, not right after a tool result)."""
    tools = {t.name: t for t in request.tools}
    mode = request.tool_choice

    def call(tool: Tool, learned: str | None = None) -> tuple[str, str]:
        if learned is not None and _args_ok(learned, tool):
            return (tool.name, learned)
        return (
            tool.name,
            structured.to_json(structured.instance(tool.parameters or {"type": "object"}, rng)),
        )

    learned_calls = [c for c in (candidate.calls if candidate else ()) if c[0] in tools]
    legacy = request.legacy_functions
    if isinstance(mode, tuple):
        name = mode[0]
        args = next((a for n, a in learned_calls if n == name), None)
        return Reply(None, (call(tools[name], args),), legacy)
    if tools and mode in ("auto", "required"):
        if learned_calls:
            chosen = learned_calls if request.parallel_tool_calls and not legacy else learned_calls[:1]
            return Reply(None, tuple(call(tools[n], a) for n, a in chosen), legacy)
        words, role = _last_user_words(request)
        best = max(request.tools, key=lambda t: _tool_match(t, words))
        wants = role not in ("tool", "function") and _tool_match(best, words) > 0
        if mode == "required" or (candidate is None and wants):
            return Reply(None, (call(best),), legacy)
    reply_text = candidate.text if candidate is not None and candidate.text is not None else None
    return Reply(_format_text(request, reply_text, rng))


def _format_text(request: ChatRequest, learned: str | None, rng: random.Random) -> str:
    schema = request.json_schema
    if schema is not None:
        if learned is not None:
            try:
                if structured.matches(json.loads(learned), schema):
                    return learned
            except ValueError:
                pass
        return structured.to_json(structured.instance(schema, rng))
    if request.json_mode:
        if learned is not None:
            try:
                if isinstance(json.loads(learned), dict):
                    return learned
            except ValueError:
                pass
            return structured.to_json({"response": learned})
        return structured.to_json({"response": text.prose(rng, (1, 2))})
    return learned if learned is not None else text.prose(rng)


def _realise(
    tenant: Any,
    index: int,
    reply: Reply,
    request: ChatRequest,
    budget: int,
    encoding: str,
    rng: random.Random,
) -> Choice:
    if reply.calls:
        calls = []
        remaining = budget
        finish = "function_call" if reply.legacy_function else "tool_calls"
        for name, arguments in reply.calls:
            piece = cut(arguments, (), max(remaining, 0), encoding)
            remaining -= len(piece.tokens)
            if piece.finish_reason == "length":
                finish = "length"
            calls.append(Call(tenant.ids.new("call_", 24), name, piece.text, piece.tokens))
        return Choice(index, None, [], finish, calls, reply.legacy_function)
    result = cut(reply.text or "", request.stop, budget, encoding)
    logprobs = None
    if request.logprobs:
        logprobs = logprob_entries(result.tokens, request.top_logprobs, encoding, rng)
    return Choice(index, result.text, result.tokens, result.finish_reason, logprobs=logprobs)
