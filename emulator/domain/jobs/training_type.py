"""Azure's `trainingType` on a fine-tuning job: where the training runs, and which base models each allows.

Azure OpenAI trains in a region (`Standard`), globally (`GlobalStandard`) or on the developer tier
(`developerTier`), sent as `extra_body={"trainingType": ...}`; each offers a subset of the fine-tunable
models (https://learn.microsoft.com/azure/ai-foundry/openai/how-to/fine-tuning, models table: regional
training for gpt-4o-mini (2024-07-18), gpt-4o (2024-08-06), gpt-4.1, gpt-4.1-mini, gpt-4.1-nano
(2025-04-14) and o4-mini (2025-04-16, reinforcement only); global training for the gpt-4o and gpt-4.1
families; the developer tier for the gpt-4.1 family). A job without it trains as `Standard`. A model the
type does not offer gets the refusal Azure gives for it, "The specified base model does not support
fine-tuning." (quoted in BerriAI/litellm#24687). The names are compared case-insensitively, and the
numbers some clients send (1, 2, 3) are read in the order above.
"""

from __future__ import annotations

from ...errors import InvalidRequestError

__all__ = ["AZURE_FINE_TUNABLE", "TRAINING_TYPES", "check_training_type"]

TRAINING_TYPES = ("Standard", "GlobalStandard", "developerTier")
_BY_NAME = {name.lower(): name for name in TRAINING_TYPES}
_GPT_41 = frozenset({"gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14", "gpt-4.1-nano-2025-04-14"})
_GPT_4O = frozenset({"gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06"})
_MODELS: dict[str, frozenset[str]] = {
    "Standard": _GPT_4O | _GPT_41 | {"o4-mini-2025-04-16"},
    "GlobalStandard": _GPT_4O | _GPT_41,
    "developerTier": _GPT_41,
}
AZURE_FINE_TUNABLE = frozenset().union(*_MODELS.values())
UNSUPPORTED = "The specified base model does not support fine-tuning."


def check_training_type(value: object, snapshot: str) -> str:
    """The training type a job runs as (Azure's spelling), or Azure's 400 for a type or model it refuses."""
    if value is None:
        name = "Standard"
    elif isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(TRAINING_TYPES):
        name = TRAINING_TYPES[value - 1]
    elif isinstance(value, str) and value.lower() in _BY_NAME:
        name = _BY_NAME[value.lower()]
    else:
        raise InvalidRequestError(
            f"Invalid value for 'trainingType': {value!r}. "
            f"Supported values are: {', '.join(TRAINING_TYPES)}.",
            param="trainingType",
        )
    if snapshot not in _MODELS[name]:
        raise InvalidRequestError(UNSUPPORTED, param="model")
    return name
