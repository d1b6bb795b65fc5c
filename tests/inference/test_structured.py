"""JSON Schema instances for structured outputs and tool arguments, checked with jsonschema."""

from __future__ import annotations

import random

import jsonschema  # type: ignore[import-untyped,unused-ignore]
import pytest

from emulator.domain.inference import structured
from emulator.errors import InvalidRequestError

SCHEMAS = {
    "scalars": {
        "type": "object",
        "properties": {
            "s": {"type": "string", "minLength": 3, "maxLength": 5},
            "i": {"type": "integer", "minimum": -3, "maximum": 3},
            "m": {"type": "integer", "multipleOf": 7, "minimum": 10, "maximum": 40},
            "x": {"type": "number", "exclusiveMinimum": 0.5, "exclusiveMaximum": 0.6},
            "b": {"type": "boolean"},
            "n": {"type": "null"},
            "e": {"enum": ["x", 1, None]},
            "c": {"const": {"k": [1]}},
        },
        "required": ["s", "i", "m", "x", "b", "n", "e", "c"],
        "additionalProperties": False,
    },
    "formats": {
        "type": "object",
        "properties": {
            f: {"type": "string", "format": f} for f in ["date", "date-time", "time", "email", "uuid"]
        },
        "required": ["date"],
    },
    "arrays": {
        "type": "array",
        "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
        "minItems": 4,
        "maxItems": 6,
    },
    "prefix": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "minItems": 2},
    "unions": {
        "anyOf": [
            {"type": "string"},
            {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
        ]
    },
    "all_of": {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"properties": {"b": {"type": "integer"}}, "required": ["b"]},
        ]
    },
    "nullable_list": {"type": ["array", "null"], "items": {"type": "string"}},
    "definitions": {
        "definitions": {
            "p": {
                "type": "object",
                "properties": {"next": {"anyOf": [{"$ref": "#/definitions/p"}, {"type": "null"}]}},
                "required": ["next"],
            }
        },
        "$ref": "#/definitions/p",
    },
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@pytest.mark.parametrize("seed", range(5))
def test_instances_validate(name: str, seed: int) -> None:
    schema = SCHEMAS[name]
    value = structured.instance(schema, random.Random(seed))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(value)


def test_instances_are_deterministic() -> None:
    schema = SCHEMAS["scalars"]
    assert structured.instance(schema, random.Random(1)) == structured.instance(schema, random.Random(1))


def test_field_names_get_fitting_values() -> None:
    value = structured.instance(
        {"type": "object", "properties": {"email": {"type": "string"}}}, random.Random(0)
    )
    assert "@" in value["email"]


def test_strict_rules_reach_nested_objects() -> None:
    inner = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    schema = {
        "type": "object",
        "properties": {"in": inner},
        "required": ["in"],
        "additionalProperties": False,
    }
    with pytest.raises(InvalidRequestError) as info:
        structured.check_strict(schema, "response_format 'x'", "response_format", "invalid_json_schema")
    assert info.value.message == (
        "Invalid schema for response_format 'x': In context=('properties', 'in'), 'additionalProperties' is "
        "required to be supplied and to be false."
    )
