"""Declarative request parameters, checked with the error codes and messages OpenAI uses."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidRequestError

__all__ = ["Param", "check_object", "describe", "parse_query_int", "validate"]

_EXPECTED = {
    "string": "a string",
    "integer": "an integer",
    "number": "a decimal",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
}


def describe(value: Any) -> str:
    """How OpenAI names the type it got: 'a string', 'an integer', 'a decimal', 'an object'..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _is(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    return kind == "any"


@dataclass(frozen=True)
class Param:
    """One parameter. `literals` are extra accepted strings such as "auto" beside a number."""

    kind: str = "any"
    required: bool = False
    nullable: bool = True
    literals: tuple[str, ...] = ()
    enum: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    items: Param | None = None
    fields: Mapping[str, Param] | None = None
    check: Callable[[Any, str], Any] | None = None


def validate(body: Mapping[str, Any], schema: Mapping[str, Param], *, prefix: str = "") -> dict[str, Any]:
    """Check `body` against `schema`; unknown keys, missing, mistyped or out-of-range values raise 400."""
    for key in body:
        if key not in schema:
            raise InvalidRequestError(f"Unrecognized request argument supplied: {prefix}{key}")
    out: dict[str, Any] = {}
    for name, spec in schema.items():
        if name not in body:
            if spec.required:
                raise InvalidRequestError(
                    f"Missing required parameter: '{prefix}{name}'.",
                    param=prefix + name,
                    code="missing_required_parameter",
                )
            continue
        out[name] = check_value(body[name], spec, prefix + name)
    return out


def check_object(value: Any, schema: Mapping[str, Param], path: str) -> dict[str, Any]:
    return validate(value, schema, prefix=path + ".")


def check_value(value: Any, spec: Param, path: str) -> Any:
    if value is None:
        if spec.nullable and not spec.required:
            return None
        raise _type_error(path, spec, value)
    if spec.literals and isinstance(value, str):
        if value in spec.literals:
            return value
        if spec.kind != "string":
            raise _invalid_value(path, value, spec.literals)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidRequestError(
            f"Invalid '{path}': expected a finite number, but got {_non_finite(value)} instead.",
            param=path,
            code="invalid_value",
        )
    if not _is(spec.kind, value):
        raise _type_error(path, spec, value)
    if spec.enum and value not in spec.enum:
        raise _invalid_value(path, value, spec.enum)
    if spec.kind in ("integer", "number"):
        _check_range(value, spec, path)
    if spec.kind in ("string", "array"):
        _check_length(value, spec, path)
    if spec.kind == "array" and spec.items is not None:
        value = [check_value(item, spec.items, f"{path}[{i}]") for i, item in enumerate(value)]
    if spec.kind == "object" and spec.fields is not None:
        value = check_object(value, spec.fields, path)
    if spec.check is not None:
        value = spec.check(value, path)
    return value


def parse_query_int(raw: str | None, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """Query strings carry text: a non-integer or out-of-range `limit` is the same 400 as in a body."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequestError(
            f"Invalid type for '{name}': expected an integer, but got a string instead.",
            param=name,
            code="invalid_type",
        ) from None
    return check_value(value, Param("integer", minimum=minimum, maximum=maximum), name)  # type: ignore[no-any-return]


def _type_error(path: str, spec: Param, value: Any) -> InvalidRequestError:
    expected = _EXPECTED.get(spec.kind, "a value")
    if spec.literals:
        options = [f"'{lit}'" for lit in spec.literals] + [expected]
        expected = "one of " + " or ".join(options)
    return InvalidRequestError(
        f"Invalid type for '{path}': expected {expected}, but got {describe(value)} instead.",
        param=path,
        code="invalid_type",
    )


def _invalid_value(path: str, value: Any, allowed: tuple[Any, ...]) -> InvalidRequestError:
    quoted = [f"'{a}'" for a in allowed]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    if len(quoted) == 2:
        listed = f"{quoted[0]} and {quoted[1]}"
    return InvalidRequestError(
        f"Invalid value: '{value}'. Supported values are: {listed}.", param=path, code="invalid_value"
    )


def _check_range(value: float, spec: Param, path: str) -> None:
    word = "integer" if spec.kind == "integer" else "decimal"
    if spec.minimum is not None and value < spec.minimum:
        raise InvalidRequestError(
            f"Invalid '{path}': {word} below minimum value. "
            f"Expected a value >= {_num(spec.minimum)}, but got {value} instead.",
            param=path,
            code=f"{word}_below_min_value",
        )
    if spec.exclusive_minimum is not None and value <= spec.exclusive_minimum:
        raise InvalidRequestError(
            f"Invalid '{path}': {word} below minimum value. "
            f"Expected a value > {_num(spec.exclusive_minimum)}, but got {value} instead.",
            param=path,
            code=f"{word}_below_min_value",
        )
    if spec.maximum is not None and value > spec.maximum:
        raise InvalidRequestError(
            f"Invalid '{path}': {word} above maximum value. "
            f"Expected a value <= {_num(spec.maximum)}, but got {value} instead.",
            param=path,
            code=f"{word}_above_max_value",
        )


def _check_length(value: str | list[Any], spec: Param, path: str) -> None:
    noun = "string" if isinstance(value, str) else "array"
    if spec.min_length is not None and len(value) < spec.min_length:
        if noun == "array" and not value:
            raise InvalidRequestError(
                f"Invalid '{path}': empty array. Expected an array with minimum length "
                f"{spec.min_length}, but got an empty array instead.",
                param=path,
                code="empty_array",
            )
        raise InvalidRequestError(
            f"Invalid '{path}': {noun} too short. Expected {'a' if noun == 'string' else 'an'} {noun} with "
            f"minimum length {spec.min_length}, but got {'a' if noun == 'string' else 'an'} {noun} with "
            f"length {len(value)} instead.",
            param=path,
            code=f"{noun}_below_min_length",
        )
    if spec.max_length is not None and len(value) > spec.max_length:
        raise InvalidRequestError(
            f"Invalid '{path}': {noun} too long. Expected {'a' if noun == 'string' else 'an'} {noun} with "
            f"maximum length {spec.max_length}, but got {'a' if noun == 'string' else 'an'} {noun} with "
            f"length {len(value)} instead.",
            param=path,
            code=f"{noun}_above_max_length",
        )


def _non_finite(value: float) -> str:
    return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
