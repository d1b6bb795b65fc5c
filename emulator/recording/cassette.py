"""Cassettes: one readable JSON file per recorded exchange, secrets redacted, uploads summarised.

    0001-get-v1-models.json
    {"version": 1, "seq": 1, "elapsed": 0.0,
     "request": {"method": "GET", "path": "/v1/models", "query": {}, "headers": {...}, "body": null},
     "response": {"status": 200, "headers": {...}, "body": {...}}}

A request body is JSON (`body`), a multipart form (`form`: fields, and files as name/filename/bytes/
sha256, with `content` only when asked) or `text`. A response body is JSON (`body`), server-sent events
(`events`: the data lines, parsed) or a summary (`bytes`, `sha256`, `text` when small and textual).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Cassette",
    "CassetteError",
    "load_cassettes",
    "parse_events",
    "redact",
    "summarise_bytes",
    "write_cassette",
]

VERSION = 1
REDACTED = "REDACTED"
# Header values never written as recorded.
SECRET_HEADERS = frozenset(
    {"authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie", "set-cookie"}
)
# Secrets inside any recorded string: API keys, organization and project ids.
_SECRETS = (
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"), "sk-" + REDACTED),
    (re.compile(r"\borg-[A-Za-z0-9]{6,}"), "org-" + REDACTED),
    (re.compile(r"\bproj_[A-Za-z0-9]{6,}"), "proj_" + REDACTED),
)
SMALL_TEXT = 4096


class CassetteError(ValueError):
    """A cassette that cannot be read: names the file and line."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")
        self.path, self.line = path, line


@dataclass(frozen=True)
class Cassette:
    path: Path
    seq: int
    elapsed: float  # seconds since the recording started
    request: dict[str, Any]
    response: dict[str, Any]
    upstream_error: str | None = None

    @property
    def name(self) -> str:
        return self.path.stem


def redact(value: Any) -> Any:
    """`value` with every API key, organization and project id replaced."""
    if isinstance(value, str):
        for pattern, replacement in _SECRETS:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, value in headers.items():
        if name in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] + " " if name == "authorization" and " " in value else ""
            out[name] = scheme + REDACTED
        else:
            out[name] = redact(value)
    return out


def summarise_bytes(data: bytes, *, keep: bool = False) -> dict[str, Any]:
    summary: dict[str, Any] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if keep:
        try:
            summary["content"] = data.decode("utf-8")
        except UnicodeDecodeError:
            summary["content_base64"] = base64.b64encode(data).decode()
    return summary


def parse_events(text: str) -> list[Any]:
    """The data lines of a server-sent event stream, each parsed as JSON when it is (`[DONE]` stays text)."""
    events: list[Any] = []
    for line in text.splitlines():
        if line.startswith("data:"):
            data = line[5:].strip()
            try:
                events.append(json.loads(data))
            except ValueError:
                events.append(data)
    return events


def write_cassette(directory: Path, seq: int, record: dict[str, Any]) -> Path:
    method = record["request"]["method"].lower()
    slug = re.sub(r"[^a-z0-9]+", "-", record["request"]["path"].lower()).strip("-")[:60]
    path = directory / f"{seq:04d}-{method}-{slug}.json"
    path.write_text(
        json.dumps({"version": VERSION, "seq": seq, **record}, indent=2, ensure_ascii=False) + "\n"
    )
    return path


def load_cassettes(directory: Path) -> list[Cassette]:
    """Every cassette in `directory`, in recording order; a bad one raises CassetteError with its line."""
    if not directory.is_dir():
        raise CassetteError(directory, 0, "not a directory of cassettes")
    cassettes = [_load(path) for path in sorted(directory.glob("[0-9]*.json"))]
    if not cassettes:
        raise CassetteError(
            directory, 0, "no cassettes here (files named NNNN-*.json, as `emulator record` writes)"
        )
    return sorted(cassettes, key=lambda c: c.seq)


def _load(path: Path) -> Cassette:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CassetteError(path, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise CassetteError(path, 1, "a cassette is a JSON object")
    try:
        version, seq = data["version"], data["seq"]
        request, response = data["request"], data["response"]
        method, url_path, status = request["method"], request["path"], response["status"]
    except (KeyError, TypeError) as exc:
        raise CassetteError(path, _line_of(text, str(exc).strip("'")), f"missing key {exc}") from None
    checks = (
        (version == VERSION, "version", f"unsupported version {version!r} (expected {VERSION})"),
        (isinstance(seq, int), "seq", "seq must be an integer"),
        (isinstance(method, str) and method.isalpha(), "method", f"bad method {method!r}"),
        (isinstance(url_path, str) and url_path.startswith("/"), "path", f"bad path {url_path!r}"),
        (isinstance(status, int) and 100 <= status < 600, "status", f"bad status {status!r}"),
        (isinstance(request.get("query", {}), dict), "query", "query must be an object"),
        (isinstance(response.get("headers", {}), dict), "headers", "headers must be an object"),
    )
    for ok, key, message in checks:
        if not ok:
            raise CassetteError(path, _line_of(text, key), message)
    elapsed = data.get("elapsed", 0.0)
    return Cassette(path, seq, float(elapsed) if isinstance(elapsed, int | float) else 0.0, request, response,
                    data.get("upstream_error"))  # fmt: skip


def _line_of(text: str, key: str) -> int:
    """The line where `"key":` first appears (1 when it does not)."""
    index = text.find(f'"{key}"')
    return text.count("\n", 0, index) + 1 if index >= 0 else 1
