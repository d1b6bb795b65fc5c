"""Hyperparameters: the request's method/hyperparameters, and how OpenAI resolves "auto" values."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ...errors import InvalidRequestError
from ...params import Param, check_value
from ..graders import check_grader

__all__ = [
    "MethodSpec",
    "Resolved",
    "auto_batch_size",
    "auto_learning_rate_multiplier",
    "auto_n_epochs",
    "parse_method",
    "resolve",
]

# The cookbook's rule (reference §7.2).
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25

_AUTO = ("auto",)
_COMMON = {
    "batch_size": Param("integer", literals=_AUTO, minimum=1, maximum=256),
    "learning_rate_multiplier": Param("number", literals=_AUTO, exclusive_minimum=0),
    "n_epochs": Param("integer", literals=_AUTO, minimum=1, maximum=50),
}
_SCHEMAS: dict[str, dict[str, Param]] = {
    "supervised": dict(_COMMON),
    "dpo": {**_COMMON, "beta": Param("number", literals=_AUTO, exclusive_minimum=0, maximum=2)},
    "reinforcement": {
        **_COMMON,
        "reasoning_effort": Param("string", enum=("default", "low", "medium", "high")),
        "compute_multiplier": Param("number", literals=_AUTO, exclusive_minimum=0.00001, maximum=10),
        "eval_interval": Param("integer", literals=_AUTO, minimum=1),
        "eval_samples": Param("integer", literals=_AUTO, minimum=1),
    },
}
# Each method's parameter names in request order: what every Resolved of the method is keyed by.
_NAMES = tuple(tuple(schema) for schema in _SCHEMAS.values())


def auto_n_epochs(n_examples: int) -> int:
    """3 epochs, raised so small files see ~100 examples (max 25), lowered for huge files (min 1)."""
    n = max(1, n_examples)
    if n * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n)
    if n * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n)
    return TARGET_EPOCHS


def auto_batch_size(n_examples: int) -> int:
    """~0.2% of the examples, at least 1 and at most 256 (the legacy API's documented rule; the new API
    resolves small files to 1, which this matches)."""
    return max(1, min(256, round(n_examples * 0.002)))


def auto_learning_rate_multiplier(base_model: str) -> float:
    """Observed values: 2 for gpt-3.5-turbo (and the completion models), 1.8 for the gpt-4o/4.1 family."""
    if base_model.startswith(("gpt-3.5", "babbage", "davinci", "gpt-4-")):
        return 2.0
    return 1.8


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """What the request asked for: the method and its hyperparameters, with "auto" where not given."""

    type: str = "supervised"
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    grader: dict[str, Any] | None = None
    response_format: Any = None

    def requested(self) -> dict[str, Any]:
        """All of the method's hyperparameters, "auto" where the request did not give one."""
        defaults: dict[str, Any] = {name: "auto" for name in _SCHEMAS[self.type]}
        if "reasoning_effort" in defaults:
            defaults["reasoning_effort"] = "default"
        return {**defaults, **self.hyperparameters}


class Resolved:
    """The values training uses once validation has counted the examples. Kept as a tuple against the
    method's parameter names, which every job of the method shares, instead of a dict per job."""

    __slots__ = ("_names", "_settings")

    def __init__(self, values: Mapping[str, Any]) -> None:
        names = tuple(values)
        self._names = next((known for known in _NAMES if known == names), names)
        self._settings = tuple(values.values())

    @property
    def values(self) -> dict[str, Any]:
        return dict(zip(self._names, self._settings, strict=True))

    @property
    def n_epochs(self) -> int:
        return int(self._settings[self._names.index("n_epochs")])

    @property
    def batch_size(self) -> int:
        return int(self._settings[self._names.index("batch_size")])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Resolved) and self.values == other.values

    __hash__ = None  # type: ignore[assignment]  # like the dict it stands for

    def __repr__(self) -> str:
        return f"Resolved(values={self.values!r})"


def resolve(spec: MethodSpec, n_examples: int, base_model: str) -> Resolved:
    values = spec.requested()
    auto = {
        "n_epochs": auto_n_epochs(n_examples),
        "batch_size": auto_batch_size(n_examples),
        "learning_rate_multiplier": auto_learning_rate_multiplier(base_model),
        "beta": 0.1,
        "compute_multiplier": 1.0,
        "eval_interval": 1,
        "eval_samples": 1,
    }
    return Resolved({k: auto[k] if v == "auto" and k in auto else v for k, v in values.items()})


# What most requests ask for, shared rather than made per job: nothing given, and plain supervised.
_NONE_GIVEN: Mapping[str, Any] = MappingProxyType({})
_PLAIN = MethodSpec("supervised", _NONE_GIVEN)


def parse_method(method: dict[str, Any] | None, hyperparameters: dict[str, Any] | None) -> MethodSpec:
    """Combine `method` and the deprecated top-level `hyperparameters` into one MethodSpec."""
    legacy = check_value(hyperparameters, Param("object", fields=_COMMON), "hyperparameters") or {}
    if method is None:
        return MethodSpec("supervised", legacy) if legacy else _PLAIN
    kind = method.get("type")
    if kind is None:
        raise InvalidRequestError(
            "Missing required parameter: 'method.type'.",
            param="method.type",
            code="missing_required_parameter",
        )
    check_value(kind, Param("string", enum=tuple(_SCHEMAS)), "method.type")
    allowed = {"type": Param("string"), kind: Param("object")}
    for key in method:
        if key not in allowed:
            raise InvalidRequestError(
                f"Invalid 'method.{key}': the method type is '{kind}', so only 'method.{kind}' may be given.",
                param=f"method.{key}",
                code="invalid_value",
            )
    body = method.get(kind) or {}
    if not isinstance(body, dict):
        check_value(body, Param("object"), f"method.{kind}")
    fields: dict[str, Param] = {"hyperparameters": Param("object", fields=_SCHEMAS[kind])}
    if kind == "reinforcement":
        fields["grader"] = Param("object", required=True, nullable=False, check=check_grader)
        fields["response_format"] = Param("any")
    checked = check_value(body, Param("object", fields=fields), f"method.{kind}") or {}
    values = dict(checked.get("hyperparameters") or {})
    if legacy:
        if kind != "supervised" or values:
            raise InvalidRequestError(
                "The deprecated 'hyperparameters' parameter can only be used with the supervised method and "
                "without 'method.supervised.hyperparameters'; put the hyperparameters under 'method'.",
                param="hyperparameters",
            )
        values = legacy
    return MethodSpec(kind, values or _NONE_GIVEN, checked.get("grader"), checked.get("response_format"))


def total_steps(n_examples: int, batch_size: int, n_epochs: int) -> int:
    return steps_per_epoch(n_examples, batch_size) * n_epochs


def steps_per_epoch(n_examples: int, batch_size: int) -> int:
    return max(1, math.ceil(n_examples / batch_size))
