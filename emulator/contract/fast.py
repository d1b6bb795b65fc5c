"""A compiled yes/no check of one JSON Schema, exactly as strict as `jsonschema`'s Draft 2020-12 validator.

The contract check validates every JSON body the emulator sends. Walking the schema with `jsonschema`
costs about a millisecond for a fine-tuning job; nearly every body conforms, and then only the answer
"valid" matters. `compile_check` turns a schema into nested closures that answer exactly that. A body
they reject (or a schema using a keyword they don't know) goes to `jsonschema`, which says what is wrong,
so the violations reported are the same as before, word for word.

Exactness matters beyond speed: a branch of `oneOf` counted wrongly would turn an invalid body valid. The
keywords compiled follow `jsonschema`'s own implementations (type checks exclude booleans from numbers
and count 2.0 as an integer, `enum`/`const` use its `equal`, length and range keywords apply only to
their own types); annotation keywords (`description`, `format` without a format checker, `x-…`) assert
nothing there either. Any other keyword makes the whole schema uncompilable (`None`), never guessed at.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema._utils import equal  # type: ignore[import-untyped,unused-ignore]

__all__ = ["Check", "compile_check"]

Check = Callable[[Any], bool]

# Keywords that never make an instance invalid (annotations; `format` asserts only with a format checker,
# which the contract's validator doesn't have; unknown keywords such as `max_items` are ignored).
_ANNOTATIONS = frozenset(
    {
        "description", "title", "default", "example", "examples", "deprecated", "format", "discriminator",
        "readOnly", "writeOnly", "$comment", "max_items", "min_items", "contentMediaType", "contentEncoding",
    }
)
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    # Draft 6 on: a float with no fractional part is an integer too
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, numbers.Number) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "null": (type(None),),
}


class Unsupported(Exception):
    """The schema uses something this compiler does not reproduce exactly."""


def compile_check(schema: Any, resolve: Callable[[str], Any]) -> Check | None:
    """A function telling whether an instance is valid under `schema`, or None when it can't be compiled.
    `resolve` maps a `$ref` to the schema it names."""
    try:
        return _Compiler(resolve).compile(schema)
    except Unsupported:
        return None


class _Compiler:
    def __init__(self, resolve: Callable[[str], Any]) -> None:
        self.resolve = resolve
        self.refs: dict[str, list[Check]] = {}  # compiled (or being compiled) $refs, for recursion

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda v: True
        if schema is False:
            return lambda v: False
        if not isinstance(schema, Mapping):
            raise Unsupported(repr(schema))
        checks: list[Check] = []
        is_object = "properties" in schema or "required" in schema or "additionalProperties" in schema
        for key, value in schema.items():
            if key in _ANNOTATIONS or key.startswith("x-"):
                continue
            if key == "type" and value == "object" and is_object:
                continue  # checked by the object check itself
            build = getattr(self, "k_" + key.replace("$", "dollar_"), None)
            if build is None:
                if key in ("properties", "required", "additionalProperties"):
                    continue  # compiled together, in k_type's object part below
                raise Unsupported(key)
            check = build(value, schema)
            if check is not None:
                checks.append(check)
        if is_object:
            checks.insert(0, self._object(schema, only_objects=schema.get("type") == "object"))
        return _all(checks)

    # -- keywords

    def k_type(self, types: Any, schema: Mapping[str, Any]) -> Check:
        names = [types] if isinstance(types, str) else list(types)
        if any(name not in _TYPES for name in names):
            raise Unsupported(f"type {types!r}")
        if all(name in _PYTHON_TYPES for name in names):  # no bool subtleties: a plain isinstance
            classes = tuple(c for name in names for c in _PYTHON_TYPES[name])
            return lambda v: isinstance(v, classes)
        if len(names) == 1:
            return _TYPES[names[0]]
        tests = [_TYPES[name] for name in names]
        return lambda v: any(test(v) for test in tests)

    def k_enum(self, members: Any, schema: Mapping[str, Any]) -> Check:
        members = list(members)
        strings = frozenset(m for m in members if isinstance(m, str))
        others = [m for m in members if not isinstance(m, str)]

        def check(v: Any) -> bool:
            if isinstance(v, str):
                return v in strings  # `equal` of two strings is ==
            return any(equal(m, v) for m in others)

        return check

    def k_const(self, const: Any, schema: Mapping[str, Any]) -> Check:
        return lambda v: bool(equal(v, const))

    def k_dollar_ref(self, ref: Any, schema: Mapping[str, Any]) -> Check:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise Unsupported(f"$ref {ref!r}")
        slot = self.refs.get(ref)
        if slot is None:
            slot = self.refs[ref] = []
            slot.append(self.compile(self.resolve(ref)))
        if slot:
            return slot[0]
        return lambda v: slot[0](v)  # a schema that refers to itself: bound once it is compiled

    def k_anyOf(self, branches: Any, schema: Mapping[str, Any]) -> Check:
        nullable = [b for b in branches if b != {"type": "null"}]
        if len(nullable) == 1 and len(branches) == 2:  # OpenAPI's `nullable`, the commonest anyOf
            other = self.compile(nullable[0])
            return lambda v: v is None or other(v)
        checks = [self.compile(b) for b in branches]

        def check(v: Any) -> bool:
            for c in checks:
                if c(v):
                    return True
            return False

        return check

    def k_oneOf(self, branches: Any, schema: Mapping[str, Any]) -> Check:
        checks = [self.compile(b) for b in branches]

        def check(v: Any) -> bool:
            found = 0
            for c in checks:
                if c(v):
                    found += 1
                    if found > 1:
                        return False
            return found == 1

        return check

    def k_allOf(self, branches: Any, schema: Mapping[str, Any]) -> Check:
        return _all([self.compile(b) for b in branches])

    def k_items(self, items: Any, schema: Mapping[str, Any]) -> Check:
        if "prefixItems" in schema or isinstance(items, list):
            raise Unsupported("prefixItems")
        each = self.compile(items)
        return lambda v: not isinstance(v, list) or all(each(item) for item in v)

    def k_minItems(self, n: Any, schema: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, list) or len(v) >= n

    def k_maxItems(self, n: Any, schema: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, list) or len(v) <= n

    def k_minLength(self, n: Any, schema: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, str) or len(v) >= n

    def k_maxLength(self, n: Any, schema: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, str) or len(v) <= n

    def k_minimum(self, bound: Any, schema: Mapping[str, Any]) -> Check:
        return lambda v: not _TYPES["number"](v) or not v < bound

    def k_maximum(self, bound: Any, schema: Mapping[str, Any]) -> Check:
        return lambda v: not _TYPES["number"](v) or not v > bound

    def k_exclusiveMinimum(self, bound: Any, schema: Mapping[str, Any]) -> Check:
        if isinstance(bound, bool):
            raise Unsupported("boolean exclusiveMinimum")
        return lambda v: not _TYPES["number"](v) or not v <= bound

    def k_exclusiveMaximum(self, bound: Any, schema: Mapping[str, Any]) -> Check:
        if isinstance(bound, bool):
            raise Unsupported("boolean exclusiveMaximum")
        return lambda v: not _TYPES["number"](v) or not v >= bound

    def _object(self, schema: Mapping[str, Any], only_objects: bool) -> Check:
        """`properties`, `required` and `additionalProperties` together, in one pass over the object (and
        `type: object` with them when `only_objects`)."""
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        properties = {name: self.compile(sub) for name, sub in (schema.get("properties") or {}).items()}
        required = tuple(schema.get("required") or ())
        extra_schema = schema.get("additionalProperties", True)
        extra: Check | None = None if extra_schema is True else self.compile(extra_schema)

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return not only_objects
            for name in required:
                if name not in v:
                    return False
            for name, value in v.items():
                known = properties.get(name)
                if known is not None:
                    if not known(value):
                        return False
                elif extra is not None and not extra(value):
                    return False
            return True

        return check


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    def check(v: Any) -> bool:
        for c in checks:
            if not c(v):
                return False
        return True

    return check
