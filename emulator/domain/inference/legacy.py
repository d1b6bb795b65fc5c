"""Legacy text completions (`/v1/completions`): prompts continued the way the model's training data did.

A base model continues a prompt with seeded English text; a fine-tuned babbage-002/davinci-002 model
answers a training prompt with its trained completion, any other prompt with the completion of the
nearest training prompt (see `memory`). Each prompt gets `best_of` candidates, ranked (learned first);
the first `n` are returned and all of them are billed, as OpenAI bills `best_of`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ...errors import InvalidRequestError
from ...ids import derive_seed
from .. import tokens
from . import memory as memories
from . import text
from .contract import CompletionRequest
from .sampling import cut, pieces, token_text, usage
from .serving import ServedModel, check_budget

__all__ = ["TextCompletion", "answer"]


@dataclass
class TextChoice:
    index: int
    prompt: str
    prompt_tokens: list[int]
    text: str
    tokens: list[int]
    finish_reason: str
    logprob_values: list[float] = field(
        default_factory=list
    )  # one per echoed prompt token + completion token
    top: list[dict[str, float]] = field(default_factory=list)


@dataclass
class TextCompletion:
    id: str
    created: int
    model: ServedModel
    request: CompletionRequest
    prompt_tokens: int
    completion_tokens: int
    choices: list[TextChoice]

    def usage(self) -> dict[str, Any]:
        return usage(self.prompt_tokens, self.completion_tokens)

    def _text(self, choice: TextChoice) -> str:
        return (choice.prompt if self.request.echo else "") + choice.text

    def _offsets(self, choice: TextChoice) -> list[int]:
        """Each token's `text_offset`: where its piece starts, counted from the start of the prompt."""
        offset = 0 if self.request.echo else len(choice.prompt)
        out: list[int] = []
        for piece, positions in pieces(self._all_ids(choice), self.model.encoding):
            out += [offset] * len(positions)
            offset += len(piece)
        return out

    def _logprobs(self, choice: TextChoice, start: int, end: int, offsets: list[int]) -> dict[str, Any]:
        """The legacy logprobs object for the choice's tokens `start:end` (echoed prompt included)."""
        ids = self._all_ids(choice)[start:end]
        return {
            "tokens": [token_text(t, self.model.encoding) for t in ids],
            "token_logprobs": choice.logprob_values[start:end],
            "top_logprobs": choice.top[start:end],
            "text_offset": offsets[start:end],
        }

    def _all_ids(self, choice: TextChoice) -> list[int]:
        return (choice.prompt_tokens if self.request.echo else []) + choice.tokens

    def to_dict(self) -> dict[str, Any]:
        choices = []
        for choice in self.choices:
            logprobs = None
            if self.request.logprobs is not None:
                logprobs = self._logprobs(choice, 0, len(self._all_ids(choice)), self._offsets(choice))
            choices.append(
                {
                    "text": self._text(choice),
                    "index": choice.index,
                    "logprobs": logprobs,
                    "finish_reason": choice.finish_reason,
                }
            )
        return {
            "id": self.id,
            "object": "text_completion",
            "created": self.created,
            "model": self.model.name,
            "choices": choices,
            "usage": self.usage(),
            "system_fingerprint": self.model.fingerprint,
        }

    def chunks(self) -> Iterator[dict[str, Any]]:
        """`text_completion` chunks: one piece per token (the echoed prompt first), `finish_reason` null
        until each choice's last chunk, then a `choices: []` chunk with usage when asked for."""
        for choice in self.choices:
            offsets = self._offsets(choice) if self.request.logprobs is not None else []
            for piece, positions in pieces(self._all_ids(choice), self.model.encoding):
                logprobs = None
                if self.request.logprobs is not None and positions:
                    logprobs = self._logprobs(choice, positions[0], positions[-1] + 1, offsets)
                yield self._chunk(
                    [{"text": piece, "index": choice.index, "logprobs": logprobs, "finish_reason": None}]
                )
            yield self._chunk(
                [{"text": "", "index": choice.index, "logprobs": None, "finish_reason": choice.finish_reason}]
            )
        if self.request.include_usage:
            yield {**self._chunk([]), "usage": self.usage()}

    def _chunk(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "text_completion",
            "created": self.created,
            "choices": choices,
            "model": self.model.name,
            "system_fingerprint": self.model.fingerprint,
        }


def _prompt_ids(prompt: str | list[int], encoding: str) -> tuple[str, list[int]]:
    if isinstance(prompt, str):
        return prompt, tokens.encode(prompt, encoding, special=True)
    top = tokens.vocabulary_size(encoding) - 1
    for token in prompt:
        if token < 0 or token > top:
            raise InvalidRequestError(
                f"Invalid token in prompt: {token}. Minimum value is 0, maximum value is {top} (inclusive).",
                param="prompt",
            )
    return tokens.decode(prompt, encoding), list(prompt)


def answer(tenant: Any, model: ServedModel, request: CompletionRequest, now: float) -> TextCompletion:
    """Complete every prompt of a checked request (see the module docstring).

    Raises:
        InvalidRequestError: a token id outside the vocabulary, or a prompt that cannot fit the context.
    """
    encoding = model.encoding
    learned = None
    if model.record is not None:
        learned = memories.memory_for(model.owner or tenant, model.record, "completion")
    choices: list[TextChoice] = []
    prompt_total = 0
    completion_total = 0
    for number, prompt in enumerate(request.prompts):
        prompt_text, prompt_ids = _prompt_ids(prompt, encoding)
        prompt_total += len(prompt_ids)
        budget = check_budget(model, len(prompt_ids), request.max_tokens, "max_tokens")
        ranked: list[str] = []
        if learned is not None and len(learned):
            found = learned.rank(prompt_text, memories.prompt_words(prompt_text), request.best_of)
            ranked = list(dict.fromkeys(example.reply.text or "" for _, example in found))
        seed = derive_seed(
            tenant.ids.seed, "completion", model.name, prompt_text, request.suffix, request.seed
        )
        candidates = []
        for index in range(request.best_of):
            rng = random.Random(derive_seed(seed, 0 if request.temperature == 0 else index))
            reply = ranked[index] if index < len(ranked) else text.continuation(rng, max(budget, 16))
            result = cut(reply, request.stop, budget, encoding)
            completion_total += len(result.tokens)
            candidates.append((result, rng))
        for index, (result, rng) in enumerate(candidates[: request.n]):
            choice = TextChoice(
                number * request.n + index,
                prompt_text,
                prompt_ids,
                result.text,
                result.tokens,
                result.finish_reason,
            )
            if request.logprobs is not None:
                _add_logprobs(choice, request, encoding, rng)
            choices.append(choice)
    return TextCompletion(
        id=tenant.ids.new("cmpl-", 29),
        created=int(now),
        model=model,
        request=request,
        prompt_tokens=prompt_total,
        completion_tokens=completion_total,
        choices=choices,
    )


def _add_logprobs(choice: TextChoice, request: CompletionRequest, encoding: str, rng: random.Random) -> None:
    """Seeded log probabilities; each `top_logprobs` dict holds `logprobs` entries, the emitted token first.
    An echoed first prompt token gets a number too (OpenAI sends null there, which its spec does not
    allow)."""
    ids = (choice.prompt_tokens if request.echo else []) + choice.tokens
    count = request.logprobs or 0
    for token in ids:
        value = -round((rng.random() ** 3) * 1.5, 6)
        choice.logprob_values.append(value)
        top: dict[str, float] = {}
        if count:
            top[token_text(token, encoding)] = value
            current = value
            while len(top) < count:
                alternative = token_text(rng.randrange(256, 30_000), encoding)
                if alternative in top:
                    continue
                current = round(current - rng.uniform(0.5, 3.0), 6)
                top[alternative] = current
        choice.top.append(top)
