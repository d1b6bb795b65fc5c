"""The compiled contract check (emulator/contract/fast.py) says "valid" exactly when jsonschema does: on
bodies drawn from every JSON schema the spec has for a served operation, some of them broken on purpose."""

from __future__ import annotations

import random
from typing import Any

from emulator.contract import load
from emulator.contract.fast import compile_check
from emulator.contract.spec import Contract

_SCALARS: list[Any] = [None, True, False, 0, 1, -2, 2.0, 2.5, "", "x", "auto", "succeeded", [], {}]


def _pointers(contract: Contract) -> list[str]:
    out = ["/components/schemas/ErrorResponse"]
    for template, item in contract.spec["paths"].items():
        escaped = template.replace("~", "~0").replace("/", "~1")
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            for code, response in op.get("responses", {}).items():
                if "application/json" in response.get("content", {}):
                    out.append(f"/paths/{escaped}/{method}/responses/{code}/content/application~1json/schema")
            if "application/json" in op.get("requestBody", {}).get("content", {}):
                out.append(f"/paths/{escaped}/{method}/requestBody/content/application~1json/schema")
    return out


def _draw(contract: Contract, schema: Any, rng: random.Random, depth: int = 0) -> Any:
    """A body shaped by `schema`, with a wrong value here and there."""
    if rng.random() < 0.04 or depth > 12 or not isinstance(schema, dict):
        return rng.choice(_SCALARS)
    if "$ref" in schema:
        return _draw(contract, contract._resolve(schema["$ref"]), rng, depth + 1)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _draw(contract, rng.choice(schema[key]), rng, depth + 1)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    kind = rng.choice(kind) if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        body = {
            name: _draw(contract, sub, rng, depth + 1)
            for name, sub in schema.get("properties", {}).items()
            if (name in schema.get("required", []) and rng.random() < 0.98) or rng.random() < 0.5
        }
        if rng.random() < 0.05:
            body["unexpected"] = rng.choice(_SCALARS)
        return body
    if kind == "array":
        return [_draw(contract, schema.get("items", True), rng, depth + 1) for _ in range(rng.randrange(3))]
    typed = {"string": ["", "abc"], "integer": [0, 1, -1, 100, 2.0], "number": [0, 1.5, -1, 1e9],
             "boolean": [True, False], "null": [None]}
    return rng.choice(typed.get(str(kind), _SCALARS))


def test_compiled_check_agrees_with_jsonschema() -> None:
    contract = load()
    pointers = _pointers(contract)
    rng = random.Random(17)
    verdicts = {True: 0, False: 0}
    for _ in range(2500):
        pointer = rng.choice(pointers)
        body = _draw(contract, contract._resolve("#" + pointer), rng)
        expected = not any(True for _ in contract.validator(pointer).iter_errors(body))
        assert contract._conforms(pointer, body) is expected, (pointer, body)
        verdicts[expected] += 1
    assert verdicts[True] > 200 and verdicts[False] > 200  # both answers were exercised


def test_every_schema_of_the_spec_compiles() -> None:
    contract = load()
    missing = [p for p in _pointers(contract) if compile_check({"$ref": "#" + p}, contract._resolve) is None]
    assert missing == []


def test_unknown_keywords_are_left_to_jsonschema() -> None:
    assert compile_check({"type": "string", "pattern": "^a"}, lambda ref: None) is None
    assert compile_check({"not": {"type": "null"}}, lambda ref: None) is None
    check = compile_check({"type": "integer", "minimum": 1, "description": "n"}, lambda ref: None)
    assert check is not None and check(2) and check(2.0) and not check(True) and not check(0)
