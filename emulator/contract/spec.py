"""OpenAI's OpenAPI contract as shipped in the package, and the check of one request or response body."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .departures import DEPARTURES, LOCATION_DEPARTURES
from .fast import Check, compile_check

__all__ = ["SPEC_FILE", "Contract", "Operation", "load"]

SPEC_FILE = "openapi.json.gz"
_URI = "urn:openai-openapi"
_MAX_REPORTED = 5


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str  # the spec's template under /v1, e.g. /v1/files/{file_id}
    operation_id: str
    summary: str


class Contract:
    """The vendored part of the spec: which operations exist, and the schema of each body."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec: dict[str, Any] = _normalise(spec)
        self._registry: Registry = Registry().with_resource(
            _URI, Resource.from_contents(self.spec, DRAFT202012)
        )
        self._routes = [
            (template, re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"))
            for template in sorted(self.spec["paths"], key=lambda t: (t.count("{"), -len(t)))
        ]
        self._validators: dict[str, Draft202012Validator] = {}
        self._checks: dict[str, Check | None] = {}  # compiled yes/no checks, see `_conforms`

    @property
    def version(self) -> str:
        return str(self.spec["info"]["version"])

    @property
    def vendored(self) -> dict[str, Any]:
        """Where this copy came from: version, date, digest (written by scripts/vendor_contract.py)."""
        meta: dict[str, Any] = self.spec.get("x-emulator-vendored", {})
        return meta

    def operations(self) -> list[Operation]:
        out = []
        for template, item in self.spec["paths"].items():
            for method, op in item.items():
                if isinstance(op, dict) and "responses" in op:
                    out.append(
                        Operation(
                            method.upper(), "/v1" + template, op.get("operationId", ""), op.get("summary", "")
                        )
                    )
        return sorted(out, key=lambda o: (o.path, o.method))

    def template(self, method: str, path: str) -> str | None:
        """The spec's path template (without /v1) for a request path, or None when the spec has none."""
        if not path.startswith("/v1/"):
            return None
        rest, verb = path[3:], method.lower()
        for template, pattern in self._routes:
            if pattern.match(rest) and verb in self.spec["paths"][template]:
                return str(template)
        return None

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Schema violations of one JSON response body (empty when it conforms or the spec has no route)."""
        if status >= 400:
            return self._validate("/components/schemas/ErrorResponse", body, f"{method} {path} -> {status}")
        template = self.template(method, path)
        if template is None:
            return []
        responses = self.spec["paths"][template][method.lower()]["responses"]
        code = str(status) if str(status) in responses else "default"
        if code not in responses:
            return [f"{method} {path} -> {status}: the spec has no {status} response for this operation"]
        if "application/json" not in responses[code].get("content", {}):
            return []
        pointer = (
            f"/paths/{_escape(template)}/{method.lower()}/responses/{code}/content/application~1json/schema"
        )
        return self._validate(pointer, body, f"{method} {path} -> {status}", (method, path))

    def check_request(self, method: str, path: str, body: Any) -> list[str]:
        """Violations of a JSON request body the emulator accepted (OpenAI would have refused it)."""
        template = self.template(method, path)
        if template is None:
            return []
        request_body = self.spec["paths"][template][method.lower()].get("requestBody", {})
        if "application/json" not in request_body.get("content", {}):
            return []
        pointer = f"/paths/{_escape(template)}/{method.lower()}/requestBody/content/application~1json/schema"
        return self._validate(pointer, body, f"{method} {path} request", (method, path))

    def validator(self, pointer: str) -> Draft202012Validator:
        """A JSON Schema validator for the spec's schema at `pointer` (e.g. /components/schemas/Model)."""
        validator = self._validators.get(pointer)
        if validator is None:
            validator = self._validators[pointer] = Draft202012Validator(
                {"$ref": f"{_URI}#{pointer}"}, registry=self._registry
            )
        return validator

    def _conforms(self, pointer: str, body: Any) -> bool:
        """Whether `body` is valid under the schema at `pointer`, answered by a compiled check (False also
        when the schema can't be compiled: then `jsonschema` decides)."""
        if pointer not in self._checks:
            self._checks[pointer] = compile_check({"$ref": "#" + pointer}, self._resolve)
        check = self._checks[pointer]
        return check is not None and check(body)

    def _resolve(self, ref: str) -> Any:
        node: Any = self.spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _validate(
        self, pointer: str, body: Any, where: str, request: tuple[str, str] = ("", "")
    ) -> list[str]:
        if self._conforms(pointer, body):
            return []  # what jsonschema would say too; it explains only bodies that fail
        errors = [
            e
            for e in _leaves(self.validator(pointer).iter_errors(body))
            if not _departure(e) and not any(d.covers(*request, e) for d in LOCATION_DEPARTURES)
        ]
        errors.sort(key=lambda e: [str(p) for p in e.absolute_path])
        return [
            f"{where}: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in errors[:_MAX_REPORTED]
        ]


def _leaves(errors: Any) -> list[Any]:
    """An anyOf/oneOf failure stands for its branches; it is a known departure when one branch is."""
    out = []
    for error in errors:
        if (
            error.validator in ("anyOf", "oneOf")
            and error.context
            and any(_departure(c) for c in error.context)
        ):
            if all(_departure(c) or c.validator in ("type", "$ref") for c in error.context):
                continue
        out.append(error)
    return out


def _departure(error: Any) -> bool:
    schema = error.schema if isinstance(error.schema, dict) else {}
    return any(d.covers(error.validator, error.instance, schema.get("enum")) for d in DEPARTURES)


def _escape(template: str) -> str:
    return template.replace("~", "~0").replace("/", "~1")


def _normalise(node: Any) -> Any:
    """The spec as JSON Schema 2020-12 reads what its authors meant: OpenAPI 3.0's `nullable: true` (which
    2020-12 ignores) becomes `anyOf [..., null]`, and a boolean `exclusiveMinimum: true` beside `minimum`
    (which 2020-12 reads as the number 1) becomes the 3.1 form."""
    if isinstance(node, list):
        return [_normalise(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _normalise(value) for key, value in node.items() if key != "nullable"}
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), bool) and out.pop(bound) and limit in out:
            out[bound] = out.pop(limit)
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def load() -> Contract:
    """The contract shipped in the package (read once per process)."""
    raw = resources.files(__package__).joinpath(SPEC_FILE).read_bytes()
    return Contract(json.loads(gzip.decompress(raw)))
