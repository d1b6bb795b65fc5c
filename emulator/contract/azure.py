"""Azure's published v1 data-plane contract, as far as the emulator serves it: an excerpt of
Azure/azure-rest-api-specs `specification/ai/data-plane/OpenAI.v1/azure-v1-v1-generated.yaml` shipped in
`azure_v1.json` (source, commit and licence recorded in the file), and a check of an Azure answer against
it. Used by the test suite for every Azure response it sees: answers of the GA v1 API (`/openai/v1/...`)
by operation, error bodies of either style against `AzureErrorResponse`."""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]

__all__ = ["AzureContract", "load_azure"]

_PREFIX = re.compile(r"^/openai(?:/v1)?(?=/)")


class AzureContract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.source: dict[str, str] = document["source"]
        self._operations = [
            (method, re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$"), status, schema)
            for method, path, status, schema in document["operations"]
        ]

    @functools.cache  # noqa: B019 - one contract per process, a handful of schemas
    def _validator(self, name: str) -> Draft202012Validator:
        return Draft202012Validator({**self.document, "$ref": f"#/components/schemas/{name}"})

    def schema_for(self, method: str, path: str, status: int) -> str | None:
        """The schema an answer to `method path` (an `/openai/...` path) with `status` must match."""
        if status >= 400:
            return "AzureErrorResponse"
        if not path.startswith("/openai/v1/"):  # the dated API has its own (older) shapes: `pending` jobs
            return None
        tail = _PREFIX.sub("", path, count=1)
        for op_method, pattern, op_status, schema in self._operations:
            if op_method == method and op_status == status and pattern.match(tail):
                return str(schema)
        return None

    def check(self, method: str, path: str, status: int, body: object) -> list[str]:
        """Violations of the contract (empty: conforms, or the operation is not in the excerpt)."""
        name = self.schema_for(method, path, status)
        if name is None:
            return []
        return [
            f"{method} {path} -> {status}: {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
            for e in self._validator(name).iter_errors(body)
        ]


@functools.cache
def load_azure() -> AzureContract:
    text = resources.files("emulator.contract").joinpath("azure_v1.json").read_text()
    return AzureContract(json.loads(text))
