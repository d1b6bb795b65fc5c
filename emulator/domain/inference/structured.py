"""JSON for `response_format` and tool arguments: JSON Schema instances, and OpenAI's strict-mode rules."""

from __future__ import annotations

import json
import math
import random
import string
from collections.abc import Mapping
from typing import Any

from ...errors import InvalidRequestError
from .text import value_for

__all__ = ["check_strict", "instance", "matches", "to_json"]

_MAX_DEPTH = 6


def to_json(value: Any) -> str:
    """How the model writes JSON: compact separators but with spaces, as OpenAI's outputs read."""
    return json.dumps(value, ensure_ascii=False)


def instance(schema: Any, rng: random.Random) -> Any:
    """A value valid against `schema` (the subset Structured Outputs allows, plus common keywords).

    Handles type (and type lists), properties/required/additionalProperties, items/prefixItems with
    min/maxItems, enum, const, anyOf/oneOf/allOf, local `$ref` into `$defs`/`definitions`, numeric
    bounds and multipleOf, string lengths and formats (date, date-time, time, email, uri, uuid).
    Optional properties are filled too; recursion stops after six levels with the smallest valid value.
    """
    return _Generator(schema if isinstance(schema, Mapping) else {}, rng).value(schema, "value", 0)


class _Generator:
    def __init__(self, root: Mapping[str, Any], rng: random.Random) -> None:
        self.root = root
        self.rng = rng

    def resolve(self, schema: Any) -> Mapping[str, Any]:
        seen = 0
        while isinstance(schema, Mapping) and "$ref" in schema and seen < 32:
            ref = str(schema["$ref"])
            target: Any = self.root
            if ref.startswith("#"):
                for part in ref[1:].split("/"):
                    if part:
                        target = (
                            target.get(part.replace("~1", "/").replace("~0", "~"), {})
                            if isinstance(target, Mapping)
                            else {}
                        )
            else:
                target = {}
            merged = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **merged} if isinstance(target, Mapping) else merged
            seen += 1
        return schema if isinstance(schema, Mapping) else {}

    def value(self, schema: Any, name: str, depth: int) -> Any:
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return self.rng.choice(list(schema["enum"]))
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                part = self.resolve(part)
                for key, val in part.items():
                    if key in ("properties",) and key in merged:
                        merged[key] = {**merged[key], **val}
                    elif key == "required" and key in merged:
                        merged[key] = list(dict.fromkeys([*merged[key], *val]))
                    else:
                        merged[key] = val
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            return self.value({**merged, **rest}, name, depth)
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                options = [self.resolve(o) for o in schema[key]]
                if depth >= _MAX_DEPTH:  # prefer a branch that ends the recursion
                    options.sort(
                        key=lambda o: o.get("type") not in ("null", "string", "number", "integer", "boolean")
                    )
                    return self.value(options[0], name, depth + 1)
                return self.value(self.rng.choice(options), name, depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"] or ["null"]
            kind = "null" if depth >= _MAX_DEPTH and "null" in kind else self.rng.choice(kinds)
        if kind is None:
            if "properties" in schema:
                kind = "object"
            elif "items" in schema:
                kind = "array"
            else:
                kind = "string"
        make = getattr(self, "_" + str(kind), None)
        return make(schema, name, depth) if make else None

    def _null(self, schema: Mapping[str, Any], name: str, depth: int) -> None:
        return None

    def _boolean(self, schema: Mapping[str, Any], name: str, depth: int) -> bool:
        return self.rng.random() < 0.5

    def _integer(self, schema: Mapping[str, Any], name: str, depth: int) -> int:
        low, high = _bounds(schema, integer=True)
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            first = -(-low // step) * step
            if first <= high:
                return int(first + step * self.rng.randint(0, int(high - first) // step))
        return self.rng.randint(int(low), int(high))

    def _number(self, schema: Mapping[str, Any], name: str, depth: int) -> float | int:
        if isinstance(schema.get("multipleOf"), int):
            return self._integer(schema, name, depth)
        low, high = _bounds(schema, integer=False)
        return round(self.rng.uniform(low, high), 2) if high - low > 0.02 else low

    def _string(self, schema: Mapping[str, Any], name: str, depth: int) -> str:
        fmt = schema.get("format")
        rng = self.rng
        if fmt == "date-time":
            day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            text = f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
        elif fmt == "date":
            text = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        elif fmt == "time":
            text = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"
        elif fmt == "email":
            text = value_for("email", rng)
        elif fmt in ("uri", "url"):
            text = value_for("url", rng)
        elif fmt == "uuid":
            hexes = "".join(rng.choice("0123456789abcdef") for _ in range(32))
            text = f"{hexes[:8]}-{hexes[8:12]}-4{hexes[13:16]}-a{hexes[17:20]}-{hexes[20:]}"
        else:
            text = value_for(name, rng)
        low = int(schema.get("minLength", 0))
        high = int(schema.get("maxLength", max(low, len(text))))
        while len(text) < low:
            text += rng.choice(string.ascii_lowercase)
        return text[:high]

    def _array(self, schema: Mapping[str, Any], name: str, depth: int) -> list[Any]:
        prefix = list(schema.get("prefixItems") or [])
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", max(low, 3)))
        if depth >= _MAX_DEPTH:
            count = max(low, len(prefix) if low else 0)
        else:
            count = self.rng.randint(max(low, min(1, high)), max(low, min(high, 3)))
        count = max(count, min(len(prefix), high))
        items = schema.get("items", {})
        singular = name[:-1] if name.endswith("s") else name
        out = []
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else items
            out.append(self.value(sub if isinstance(sub, Mapping) else {}, singular, depth + 1))
        if schema.get("uniqueItems"):
            unique: list[Any] = []
            for item in out:
                if item not in unique:
                    unique.append(item)
            out = unique if len(unique) >= low else out
        return out

    def _object(self, schema: Mapping[str, Any], name: str, depth: int) -> dict[str, Any]:
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        for key, sub in properties.items():
            if key in required or depth < _MAX_DEPTH - 1:
                out[key] = self.value(sub, key, depth + 1)
        return out


def _bounds(schema: Mapping[str, Any], *, integer: bool) -> tuple[float, float]:
    low: float | None = schema.get("minimum")
    high: float | None = schema.get("maximum")
    if schema.get("exclusiveMinimum") is not None:
        low = schema["exclusiveMinimum"] + (1 if integer else 0.01)
    if schema.get("exclusiveMaximum") is not None:
        high = schema["exclusiveMaximum"] - (1 if integer else 0.01)
    if low is None and high is None:
        low, high = 0, 100
    elif low is None:
        low = float(high or 0) - 100
    elif high is None:
        high = low + 100
    assert low is not None and high is not None
    if integer:
        return math.ceil(low), math.floor(high)
    return float(low), float(high)


def matches(value: Any, schema: Mapping[str, Any]) -> bool:
    """Whether a learned reply may stand as the answer: it must validate against the requested schema."""
    try:
        import jsonschema  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # pragma: no cover - jsonschema is a dependency
        return False
    try:
        return bool(jsonschema.Draft202012Validator(schema).is_valid(value))
    except Exception:
        return False


def check_strict(schema: Any, owner: str, param: str, code: str) -> None:
    """OpenAI's strict-mode rules: every object closes `additionalProperties` and requires every property.

    Raises:
        InvalidRequestError: `Invalid schema for <owner>: In context=(...), ...`.
    """
    _check_strict(schema, schema, (), owner, param, code, 0)


def _check_strict(
    node: Any, root: Any, path: tuple[str, ...], owner: str, param: str, code: str, depth: int
) -> None:
    if not isinstance(node, Mapping) or depth > 32:
        return
    context = "(" + ", ".join(repr(p) for p in path) + ("," if len(path) == 1 else "") + ")"

    def fail(reason: str) -> None:
        raise InvalidRequestError(
            f"Invalid schema for {owner}: In context={context}, {reason}", param=param, code=code
        )

    kind = node.get("type")
    is_object = kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in node
    if is_object:
        if node.get("additionalProperties", None) is not False:
            fail("'additionalProperties' is required to be supplied and to be false.")
        properties = node.get("properties") or {}
        required = node.get("required")
        missing = [k for k in properties if not isinstance(required, list) or k not in required]
        if missing:
            fail(
                "'required' is required to be supplied and to be an array including every key in "
                "properties. "
                f"Missing '{missing[0]}'."
            )
        for key, sub in properties.items():
            _check_strict(sub, root, (*path, "properties", key), owner, param, code, depth + 1)
    if isinstance(node.get("items"), Mapping):
        _check_strict(node["items"], root, (*path, "items"), owner, param, code, depth + 1)
    for key in ("anyOf", "allOf"):
        for i, sub in enumerate(node.get(key) or []):
            _check_strict(sub, root, (*path, key, str(i)), owner, param, code, depth + 1)
    for key in ("$defs", "definitions"):
        for name, sub in (node.get(key) or {}).items():
            _check_strict(sub, root, (*path, key, name), owner, param, code, depth + 1)
