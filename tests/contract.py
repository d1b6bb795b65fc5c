"""Checks every JSON response the suite sees against OpenAI's official OpenAPI spec.

The spec lives at ../shared/contract/openapi.yaml beside the project (or wherever OPENAI_OPENAPI_SPEC
points). The emulator never needs it; only this test helper reads it. When it is missing the helper says
so once (in pytest's header) and the contract checks are off, which CI (CI=true) treats as an error.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(
    os.environ.get("OPENAI_OPENAPI_SPEC", Path(__file__).resolve().parents[2] / "shared" / "contract" / "openapi.yaml")
)
_SPEC_URI = "urn:openai-openapi"


class Contract:
    def __init__(self, spec: dict[str, Any]) -> None:
        registry: Registry = Registry().with_resource(_SPEC_URI, Resource.from_contents(spec, DRAFT202012))
        self._registry = registry
        self._spec = spec
        self._routes: list[tuple[str, re.Pattern[str], str]] = []
        for template in sorted(spec["paths"], key=lambda t: (t.count("{"), -len(t))):
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            self._routes.append((template, re.compile(f"^{pattern}$"), template))
        self._validators: dict[str, Draft202012Validator] = {}

    def _validator(self, pointer: str) -> Draft202012Validator:
        if pointer not in self._validators:
            self._validators[pointer] = Draft202012Validator({"$ref": f"{_SPEC_URI}#{pointer}"}, registry=self._registry)
        return self._validators[pointer]

    def operation(self, method: str, path: str) -> str | None:
        """The spec's path template for a request path under /v1, or None when the spec has no such route."""
        if not path.startswith("/v1/"):
            return None
        rest = path[3:]
        for template, pattern, _ in self._routes:
            if pattern.match(rest) and method.lower() in self._spec["paths"][template]:
                return template
        return None

    def check(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Schema violations of one JSON response body (empty when it conforms)."""
        if status >= 400:
            pointer = "/components/schemas/ErrorResponse"
        else:
            template = self.operation(method, path)
            if template is None:
                return []
            responses = self._spec["paths"][template][method.lower()]["responses"]
            response = responses.get(str(status)) or responses.get("default")
            if response is None:
                return [f"{method} {path}: the spec has no {status} response"]
            if "application/json" not in response.get("content", {}):
                return []
            escaped = template.replace("~", "~0").replace("/", "~1")
            code = str(status) if str(status) in responses else "default"
            pointer = f"/paths/{escaped}/{method.lower()}/responses/{code}/content/application~1json/schema"
        errors = sorted(self._validator(pointer).iter_errors(body), key=lambda e: list(e.absolute_path))
        return [f"{method} {path} -> {status}: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                for e in errors[:5]]


@cache
def load() -> Contract | None:
    if not SPEC_PATH.exists():
        if os.environ.get("CI"):
            raise RuntimeError(status())
        return None
    with SPEC_PATH.open("rb") as handle:
        spec = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    _normalise_exclusive_bounds(spec)
    return Contract(spec)


def _normalise_exclusive_bounds(node: Any) -> None:
    """A few schemas use OpenAPI 3.0's boolean `exclusiveMinimum: true` beside `minimum`; JSON Schema 2020-12
    (OpenAPI 3.1) reads a boolean as the number 1. Rewrite them to the 3.1 form the authors meant."""
    if isinstance(node, dict):
        for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if isinstance(node.get(bound), bool):
                if node.pop(bound) and limit in node:
                    node[bound] = node.pop(limit)
        for value in node.values():
            _normalise_exclusive_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _normalise_exclusive_bounds(value)


def status() -> str:
    """One line for pytest's header: where the contract is, or that it is missing."""
    if SPEC_PATH.exists():
        return f"OpenAPI contract: {SPEC_PATH}"
    return f"OpenAPI contract NOT FOUND at {SPEC_PATH}: responses are not being validated against the spec"


def check_response(method: str, path: str, status: int, content_type: str, raw: bytes) -> list[str]:
    """Violations for a raw HTTP response; non-JSON bodies (file downloads, event streams) are skipped."""
    contract = load()
    if contract is None or not content_type.startswith("application/json"):
        return []
    try:
        body = json.loads(raw)
    except ValueError:
        return [f"{method} {path} -> {status}: body is not JSON"]
    return contract.check(method, path, status, body)
