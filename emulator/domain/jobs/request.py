"""The `POST /v1/fine_tuning/jobs` body: its schema, and the checks params.py cannot express."""

from __future__ import annotations

from typing import Any

from ...errors import InvalidRequestError
from ...params import Param

__all__ = ["CREATE_SCHEMA", "check_metadata", "metadata_filter"]

MAX_METADATA_PAIRS = 16
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512


def check_metadata(value: dict[str, Any], path: str = "metadata") -> dict[str, str]:
    if len(value) > MAX_METADATA_PAIRS:
        raise InvalidRequestError(
            f"Invalid '{path}': too many properties. Expected an object with at most {MAX_METADATA_PAIRS} "
            f"properties, but got an object with {len(value)} properties instead.",
            param=path,
            code="object_above_max_properties",
        )
    for key, item in value.items():
        if len(key) > MAX_METADATA_KEY:
            raise InvalidRequestError(
                f"Invalid '{path}': string too long. Expected a string with maximum length "
                f"{MAX_METADATA_KEY}, "
                f"but got a string with length {len(key)} instead.",
                param=f"{path}.{key}",
                code="string_above_max_length",
            )
        if not isinstance(item, str):
            raise InvalidRequestError(
                f"Invalid type for '{path}.{key}': expected a string, but got a non-string value instead.",
                param=f"{path}.{key}",
                code="invalid_type",
            )
        if len(item) > MAX_METADATA_VALUE:
            raise InvalidRequestError(
                f"Invalid '{path}.{key}': string too long. Expected a string with maximum length "
                f"{MAX_METADATA_VALUE}, but got a string with length {len(item)} instead.",
                param=f"{path}.{key}",
                code="string_above_max_length",
            )
    return dict(value)


def _check_integration(value: dict[str, Any], path: str) -> dict[str, Any]:
    wandb = value["wandb"]
    return {
        "type": value["type"],
        "wandb": {
            "project": wandb["project"],
            "name": wandb.get("name"),
            "entity": wandb.get("entity"),
            "tags": list(wandb.get("tags") or []),
        },
    }


_WANDB = Param(
    "object",
    required=True,
    nullable=False,
    fields={
        "project": Param("string", required=True, nullable=False),
        "name": Param("string"),
        "entity": Param("string"),
        "tags": Param("array", items=Param("string", nullable=False)),
    },
)
_INTEGRATION = Param(
    "object",
    nullable=False,
    fields={"type": Param("string", required=True, nullable=False, enum=("wandb",)), "wandb": _WANDB},
    check=_check_integration,
)

CREATE_SCHEMA: dict[str, Param] = {
    "model": Param("string", required=True, nullable=False),
    "training_file": Param("string", required=True, nullable=False),
    "validation_file": Param("string"),
    "hyperparameters": Param("object"),
    "method": Param("object"),
    "suffix": Param("string", min_length=1, max_length=64),
    "seed": Param("integer", minimum=0, maximum=2_147_483_647),
    "integrations": Param("array", max_length=5, items=_INTEGRATION),
    "metadata": Param("object", check=check_metadata),
}


def metadata_filter(query: dict[str, str]) -> tuple[bool, dict[str, str]]:
    """From a query string: (wants only jobs without metadata, required `metadata[k]=v` pairs)."""
    pairs = {
        k[len("metadata[") : -1]: v for k, v in query.items() if k.startswith("metadata[") and k.endswith("]")
    }
    return query.get("metadata") == "null", pairs
