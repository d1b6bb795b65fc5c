"""Checks every JSON response the suite sees against OpenAI's OpenAPI spec, as shipped in the package
(emulator/contract/openapi.json.gz, the same copy `--contract strict` uses); known departures are
declared in emulator/contract/departures.py."""

from __future__ import annotations

import json
from typing import Any

from emulator.contract import Contract
from emulator.contract import load as load

__all__ = ["check_response", "load", "status"]


def status() -> str:
    """One line for pytest's header: which spec the responses are checked against."""
    contract: Contract = load()
    meta = contract.vendored
    return (
        f"OpenAPI contract: OpenAI spec {contract.version} (retrieved {meta.get('retrieved', '?')}), packaged"
    )


def check_response(method: str, path: str, status: int, content_type: str, raw: bytes) -> list[str]:
    """Violations for a raw HTTP response; non-JSON bodies (file downloads, event streams) are skipped."""
    if not content_type.startswith("application/json"):
        return []
    try:
        body: Any = json.loads(raw)
    except ValueError:
        return [f"{method} {path} -> {status}: body is not JSON"]
    return load().check_response(method, path, status, body)
