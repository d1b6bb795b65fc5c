"""The model catalog: OpenAI's base models, their aliases and limits, and a tenant's fine-tuned models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .catalog import Model
from .catalog_table import MODELS

__all__ = [
    "BASE_MODELS",
    "BaseModel",
    "ModelRecord",
    "base_model",
    "base_to_dict",
    "find_model",
    "resolve_alias",
    "shutdown_of",
]


# A base model is one row of the catalog (`catalog_table.MODELS`); the name stays for its many users.
BaseModel = Model

BASE_MODELS: dict[str, BaseModel] = {m.id: m for m in MODELS}

# What an alias answers as on the inference endpoints (chat and completions echo the snapshot).
_ALIASES = {m.id: m.alias_of for m in MODELS if m.alias_of is not None}


def resolve_alias(model_id: str) -> str:
    return _ALIASES.get(model_id, model_id)


def base_model(model_id: str) -> BaseModel | None:
    return BASE_MODELS.get(model_id)


@dataclass(slots=True)
class ModelRecord:
    """A tenant's fine-tuned model (or checkpoint model) as `/v1/models` shows it."""

    id: str
    created: int
    owned_by: str
    base: str  # the base snapshot it was trained from
    job_id: str | None = None
    deleted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": self.owned_by,
            "shutdown_date": shutdown_of(self.base, fine_tuned=True),
        }


def base_to_dict(model: BaseModel) -> dict[str, Any]:
    """The model object with the catalog's `shutdown_date`."""
    return {
        "id": model.id,
        "object": "model",
        "created": model.created,
        "owned_by": model.owned_by,
        "shutdown_date": model.shutdown_date,
    }


def shutdown_of(model_id: str, *, fine_tuned: bool = False) -> str | None:
    """The catalog's shutdown date of a base model (or, `fine_tuned`, of the models trained from it)."""
    base = BASE_MODELS.get(model_id) or BASE_MODELS.get(resolve_alias(model_id))
    if base is None:
        return None
    return base.fine_tuned_shutdown_date if fine_tuned else base.shutdown_date


def find_model(tenant: Any, model_id: str) -> ModelRecord | None:
    """A tenant's fine-tuned model (not deleted) or one of its jobs' checkpoint models, by name.

    Checkpoint models (`ft:...:ckpt-step-N`) are usable for inference but not listed in `/v1/models`.
    """
    record: ModelRecord | None = tenant.models.get(model_id)
    if record is not None and not record.deleted:
        return record
    jobs = getattr(tenant, "jobs", None)
    return jobs.find_checkpoint_model(model_id) if jobs is not None else None
