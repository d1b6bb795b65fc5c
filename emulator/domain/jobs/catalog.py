"""Which models can be fine-tuned, and what the aliases a client sends resolve to when fine-tuning."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import BASE_MODELS, BaseModel

__all__ = ["FINE_TUNING_ALIASES", "Target", "lookup_base", "model_kind"]

# alias -> snapshot used by /v1/fine_tuning/jobs. gpt-3.5-turbo -> 0613 is what the real API did for
# fine-tuning (reference §5.1, while chat completions already answered as 0125); the rest follow the
# snapshots OpenAI's fine-tuning guide lists for each family.
FINE_TUNING_ALIASES: dict[str, str] = {
    "gpt-3.5-turbo": "gpt-3.5-turbo-0613",
    "gpt-4": "gpt-4-0613",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "o4-mini": "o4-mini-2025-04-16",
}

# Models that only take reinforcement fine-tuning, and the one family that only takes prompt/completion.
_REASONING = ("o4-mini",)
_COMPLETION = ("babbage-002", "davinci-002")


@dataclass(frozen=True)
class Target:
    """What a job trains: the base snapshot (for names and limits) and the model id the job reports."""

    snapshot: str
    model: str  # the snapshot, or the ft: model being fine-tuned further
    base: BaseModel


def lookup_base(model_id: str) -> BaseModel | None:
    """The fine-tunable snapshot behind a model id or alias, or None."""
    snapshot = FINE_TUNING_ALIASES.get(model_id, model_id)
    base = BASE_MODELS.get(snapshot)
    return base if base is not None and base.fine_tunable else None


def model_kind(snapshot: str) -> str:
    """ "completion" (prompt/completion data), "reasoning" (reinforcement only) or "chat"."""
    if snapshot.startswith(_COMPLETION):
        return "completion"
    if snapshot.startswith(_REASONING):
        return "reasoning"
    return "chat"
