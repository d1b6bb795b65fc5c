"""The model catalog: OpenAI's base models, their aliases and limits, and a tenant's fine-tuned models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BASE_MODELS", "BaseModel", "ModelRecord", "base_model", "find_model", "resolve_alias"]


@dataclass(frozen=True)
class BaseModel:
    id: str
    created: int
    owned_by: str
    kind: str  # "chat", "completion" or "moderation"
    encoding: str  # tiktoken encoding name
    fine_tunable: bool = False
    # Longest training example, in tokens; longer ones are truncated (reference §7.1).
    training_token_limit: int | None = None
    context_window: int = 16_385


def _m(*args: Any, **kwargs: Any) -> BaseModel:
    return BaseModel(*args, **kwargs)


BASE_MODELS: dict[str, BaseModel] = {
    m.id: m
    for m in [
        _m("gpt-3.5-turbo", 1677610602, "openai", "chat", "cl100k_base"),
        _m("gpt-3.5-turbo-0125", 1706048358, "system", "chat", "cl100k_base", True, 16_385),
        _m("gpt-3.5-turbo-1106", 1698959748, "system", "chat", "cl100k_base", True, 16_385),
        _m("gpt-3.5-turbo-0613", 1686587434, "openai", "chat", "cl100k_base", True, 4_096, 4_096),
        _m("gpt-3.5-turbo-16k", 1683758102, "openai-internal", "chat", "cl100k_base"),
        _m("gpt-3.5-turbo-instruct", 1692901427, "system", "completion", "cl100k_base", context_window=4_096),
        _m("gpt-3.5-turbo-instruct-0914", 1694122472, "system", "completion", "cl100k_base", context_window=4_096),
        _m("babbage-002", 1692634615, "system", "completion", "cl100k_base", True, 16_384, 16_384),
        _m("davinci-002", 1692634301, "system", "completion", "cl100k_base", True, 16_384, 16_384),
        _m("gpt-4", 1687882411, "openai", "chat", "cl100k_base", context_window=8_192),
        _m("gpt-4-0613", 1686588896, "openai", "chat", "cl100k_base", True, 8_192, 8_192),
        _m("gpt-4-turbo", 1712361441, "system", "chat", "cl100k_base", context_window=128_000),
        _m("gpt-4-turbo-2024-04-09", 1712601677, "system", "chat", "cl100k_base", context_window=128_000),
        _m("gpt-4o", 1715367049, "system", "chat", "o200k_base", context_window=128_000),
        _m("gpt-4o-2024-05-13", 1715368132, "system", "chat", "o200k_base", context_window=128_000),
        _m("gpt-4o-2024-08-06", 1722814719, "system", "chat", "o200k_base", True, 65_536, 128_000),
        _m("gpt-4o-mini", 1721172741, "system", "chat", "o200k_base", context_window=128_000),
        _m("gpt-4o-mini-2024-07-18", 1721172717, "system", "chat", "o200k_base", True, 65_536, 128_000),
        _m("gpt-4.1", 1744316542, "system", "chat", "o200k_base", context_window=1_047_576),
        _m("gpt-4.1-2025-04-14", 1744315746, "system", "chat", "o200k_base", True, 65_536, 1_047_576),
        _m("gpt-4.1-mini", 1744318173, "system", "chat", "o200k_base", context_window=1_047_576),
        _m("gpt-4.1-mini-2025-04-14", 1744317547, "system", "chat", "o200k_base", True, 65_536, 1_047_576),
        _m("gpt-4.1-nano", 1744321707, "system", "chat", "o200k_base", context_window=1_047_576),
        _m("gpt-4.1-nano-2025-04-14", 1744321025, "system", "chat", "o200k_base", True, 65_536, 1_047_576),
        _m("o4-mini", 1744225351, "system", "chat", "o200k_base", context_window=200_000),
        _m("o4-mini-2025-04-16", 1744133506, "system", "chat", "o200k_base", True, 65_536, 200_000),
        _m("omni-moderation-latest", 1731689265, "system", "moderation", "o200k_base"),
        _m("omni-moderation-2024-09-26", 1732734466, "system", "moderation", "o200k_base"),
        _m("text-moderation-latest", 1698809160, "system", "moderation", "cl100k_base"),
        _m("text-moderation-stable", 1698809177, "system", "moderation", "cl100k_base"),
    ]
}

# What an alias answers as on the inference endpoints (chat and completions echo the snapshot).
_ALIASES = {
    "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
    "gpt-3.5-turbo-instruct": "gpt-3.5-turbo-instruct",
    "gpt-4": "gpt-4-0613",
    "gpt-4-turbo": "gpt-4-turbo-2024-04-09",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "o4-mini": "o4-mini-2025-04-16",
}


def resolve_alias(model_id: str) -> str:
    return _ALIASES.get(model_id, model_id)


def base_model(model_id: str) -> BaseModel | None:
    return BASE_MODELS.get(model_id)


@dataclass
class ModelRecord:
    """A tenant's fine-tuned model (or checkpoint model) as `/v1/models` shows it."""

    id: str
    created: int
    owned_by: str
    base: str  # the base snapshot it was trained from
    job_id: str | None = None
    deleted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "object": "model", "created": self.created, "owned_by": self.owned_by}


def base_to_dict(model: BaseModel) -> dict[str, Any]:
    return {"id": model.id, "object": "model", "created": model.created, "owned_by": model.owned_by}


def find_model(tenant: Any, model_id: str) -> ModelRecord | None:
    """A tenant's fine-tuned model (not deleted) or one of its jobs' checkpoint models, by name.

    Checkpoint models (`ft:...:ckpt-step-N`) are usable for inference but not listed in `/v1/models`.
    """
    record: ModelRecord | None = tenant.models.get(model_id)
    if record is not None and not record.deleted:
        return record
    jobs = getattr(tenant, "jobs", None)
    return jobs.find_checkpoint_model(model_id) if jobs is not None else None
