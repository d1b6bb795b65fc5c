"""Which models can be fine-tuned, with which methods, and what the aliases a client sends resolve to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .azure_names import fine_tuned_base
from .catalog_table import FINE_TUNING_ALIASES as _CHOICES
from .models import BASE_MODELS, BaseModel

__all__ = [
    "FINE_TUNING_ALIASES",
    "Target",
    "fine_tunable_ids",
    "lookup_base",
    "methods_for",
    "model_kind",
    "not_available",
    "refusal",
    "training_cost",
    "unsupported_method",
]

# alias -> the snapshot a job trains when nothing is shut down (the first choice of the catalog's list).
FINE_TUNING_ALIASES: dict[str, str] = {alias: choices[0] for alias, choices in _CHOICES.items()}


@dataclass(frozen=True)
class Target:
    """What a job trains: the base snapshot (for names and limits) and the model id the job reports."""

    snapshot: str
    model: str  # the snapshot, or the ft: model being fine-tuned further
    base: BaseModel


def lookup_base(model_id: str, available: Callable[[str], bool] | None = None) -> BaseModel | None:
    """The fine-tunable snapshot behind a model id or alias, or None.

    `available` (e.g. "not shut down yet") picks, for an alias, the first snapshot it accepts; a
    snapshot named directly is returned whatever `available` says, so the caller can say why it is refused.
    """
    choices = _CHOICES.get(model_id, (model_id,))
    if available is not None:
        choices = tuple(c for c in choices if available(c)) or choices[-1:]
    base = BASE_MODELS.get(choices[0])
    return base if base is not None and base.fine_tunable else None


def methods_for(snapshot: str) -> tuple[str, ...]:
    """The `method.type` values OpenAI accepts for fine-tuning `snapshot` (empty: not fine-tunable)."""
    base = BASE_MODELS.get(snapshot)
    return base.tuning.methods if base is not None and base.tuning is not None else ()


def model_kind(snapshot: str) -> str:
    """ "completion" (prompt/completion data), "reasoning" (reinforcement only) or "chat"."""
    base = BASE_MODELS.get(snapshot)
    if base is not None and base.kind == "completion":
        return "completion"
    if methods_for(snapshot) == ("reinforcement",):
        return "reasoning"
    return "chat"


def unsupported_method(snapshot: str, method: str) -> str | None:
    """OpenAI's message when `snapshot` cannot be fine-tuned with `method`, else None."""
    if method in methods_for(snapshot):
        return None
    return f"Model {snapshot} does not support the '{method}' fine-tuning method."


def not_available(model_id: str) -> str:
    """OpenAI's message (code `model_not_available`) for a model that cannot be fine-tuned."""
    return f"Model {model_id} is not available for fine-tuning or does not exist."


def fine_tunable_ids() -> list[str]:
    """Every id a job accepts as `model`: the fine-tunable snapshots and the aliases that reach them."""
    return sorted({m.id for m in BASE_MODELS.values() if m.fine_tunable} | set(FINE_TUNING_ALIASES))


def refusal(model_id: str, method: str) -> str | None:
    """What the API says to a job on `model_id` with `method` (None: accepted). A fine-tuned model
    (`ft:<base>:…`) is judged by its base."""
    base_id = fine_tuned_base(model_id) or model_id
    base = lookup_base(base_id)
    if base is None:
        return not_available(model_id)
    return unsupported_method(base.id, method)


def training_cost(snapshot: str, trained_tokens: int) -> float | None:
    """USD for `trained_tokens` at the snapshot's training price; None where OpenAI bills otherwise (per
    training hour) or publishes no price."""
    base = BASE_MODELS.get(snapshot)
    tuning = base.tuning if base is not None else None
    if tuning is None or tuning.price is None or tuning.unit != "token":
        return None
    return trained_tokens / 1_000_000 * tuning.price
