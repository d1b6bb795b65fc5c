"""Structural comparison of a recorded exchange with the emulator's answer to the same request.

What counts: the status code; the error's type, code, param and message (ids and numbers masked); object
keys and value types (null matches anything: timing decides it); enum-like values; header names;
pagination fields; fine-tuning event message patterns; and the shape of streamed chunks.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Finding", "compare", "is_id", "message_pattern", "operation_of"]

ENUM_KEYS = frozenset(
    {"object", "status", "purpose", "type", "code", "param", "finish_reason", "role", "level", "method"}
)
PAGINATION_KEYS = frozenset({"has_more"})
# Headers that say more about the network path than about the API.
IGNORED_HEADERS = frozenset(
    {
        "date", "server", "via", "cf-ray", "cf-cache-status", "alt-svc", "set-cookie", "connection",
        "strict-transport-security", "x-content-type-options", "content-length", "content-encoding",
        "transfer-encoding", "keep-alive", "vary", "access-control-allow-origin",
        "x-envoy-upstream-service-time",
        "openai-processing-ms", "x-should-retry",
    }
)  # fmt: skip
_ID = re.compile(
    r"^(file-|ftjob-|ftckpt-|ftevent-|upload_|part_|chatcmpl-|cmpl-|modr-|req_|ft:|org-|user-|perm-)\S+$"
)
_MASKS = (
    (
        re.compile(r"\b(file-|ftjob-|ftckpt-|ftevent-|upload_|part_|chatcmpl-|req_|org-)[A-Za-z0-9_-]+"),
        r"\1…",
    ),
    (re.compile(r"ft:[\w.:-]+"), "ft:…"),
    (re.compile(r"\d+(\.\d+)?"), "#"),
)
MAX_ITEMS = 20


@dataclass(frozen=True)
class Finding:
    exchange: str  # the cassette's name
    operation: str  # METHOD and path with ids masked, e.g. GET /v1/fine_tuning/jobs/{id}
    kind: str  # status | error | missing_key | extra_key | type | enum | pagination | header | event | stream
    where: str  # e.g. body.data[0].status, header x-request-id
    recorded: Any
    emulator: Any

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        return (
            f"{self.exchange}  {self.operation}  {self.kind}  {self.where}: "
            f"recorded {_show(self.recorded)}, emulator {_show(self.emulator)}"
        )


def is_id(value: object) -> bool:
    return isinstance(value, str) and bool(_ID.match(value))


def message_pattern(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def operation_of(method: str, path: str) -> str:
    parts = ["{id}" if is_id(part) or part.startswith("ft:") else part for part in path.split("/")]
    return f"{method.upper()} {'/'.join(parts)}"


def compare(
    name: str,
    operation: str,
    recorded: dict[str, Any],
    replayed: dict[str, Any],
) -> list[Finding]:
    """Findings for one exchange; `recorded` and `replayed` are cassette response dicts."""
    out: list[Finding] = []

    def add(kind: str, where: str, rec: Any, emu: Any) -> None:
        out.append(Finding(name, operation, kind, where, rec, emu))

    if recorded["status"] != replayed["status"]:
        add("status", "status", recorded["status"], replayed["status"])
        return out
    emulator_headers = {k.lower() for k in replayed.get("headers", {})}
    for header in sorted(recorded.get("headers", {})):
        low = header.lower()
        if (
            low not in IGNORED_HEADERS
            and not low.startswith(("cf-", "x-emulator-"))
            and low not in emulator_headers
        ):
            add("header", f"header {low}", "present", "absent")
    if "body" in recorded and "body" in replayed:
        rec_body, emu_body = recorded["body"], replayed["body"]
        if isinstance(rec_body, dict) and isinstance(rec_body.get("error"), dict):
            _error(rec_body["error"], emu_body.get("error") if isinstance(emu_body, dict) else None, add)
        else:
            _shape(rec_body, emu_body, "body", add)
            if operation.endswith("/events"):
                _events(rec_body, emu_body, add)
    elif "events" in recorded and "events" in replayed:
        _stream(recorded["events"], replayed["events"], add)
    elif _kind(recorded) != _kind(replayed):
        add("type", "body", _kind(recorded), _kind(replayed))
    return out


def _kind(response: dict[str, Any]) -> str:
    return next((k for k in ("body", "events", "data", "text") if k in response), "none")


def _error(rec: dict[str, Any], emu: Any, add: Any) -> None:
    if not isinstance(emu, dict):
        add("error", "body.error", "an error object", emu)
        return
    for key in ("type", "code", "param"):
        if rec.get(key) != emu.get(key):
            add("error", f"body.error.{key}", rec.get(key), emu.get(key))
    if isinstance(rec.get("message"), str) and isinstance(emu.get("message"), str):
        if message_pattern(rec["message"]) != message_pattern(emu["message"]):
            add("error", "body.error.message", rec["message"], emu["message"])


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _shape(rec: Any, emu: Any, where: str, add: Any) -> None:
    rec_type, emu_type = _type(rec), _type(emu)
    if "null" in (rec_type, emu_type):
        return
    if rec_type != emu_type:
        add("type", where, rec_type, emu_type)
        return
    if isinstance(rec, dict):
        for key in sorted(rec.keys() - emu.keys()):
            add("missing_key", f"{where}.{key}", _type(rec[key]), "absent")
        for key in sorted(emu.keys() - rec.keys()):
            add("extra_key", f"{where}.{key}", "absent", _type(emu[key]))
        for key in sorted(rec.keys() & emu.keys()):
            here = f"{where}.{key}"
            if key in ENUM_KEYS and isinstance(rec[key], str) and isinstance(emu[key], str):
                if rec[key] != emu[key]:
                    add("enum", here, rec[key], emu[key])
                continue
            if key in PAGINATION_KEYS and rec[key] != emu[key]:
                add("pagination", here, rec[key], emu[key])
                continue
            _shape(rec[key], emu[key], here, add)
    elif isinstance(rec, list):
        for index in range(min(len(rec), len(emu), MAX_ITEMS)):
            _shape(rec[index], emu[index], f"{where}[{index}]", add)


def _events(rec: Any, emu: Any, add: Any) -> None:
    def patterns(body: Any) -> set[str]:
        data = body.get("data") if isinstance(body, dict) else None
        items = data if isinstance(data, list) else []
        return {
            message_pattern(e["message"])
            for e in items
            if isinstance(e, dict) and isinstance(e.get("message"), str)
        }

    emulator_patterns = patterns(emu)
    for pattern in sorted(patterns(rec) - emulator_patterns):
        add("event", "body.data[].message", pattern, "no event with this pattern")


def _stream(rec: list[Any], emu: list[Any], add: Any) -> None:
    rec_done, emu_done = bool(rec) and rec[-1] == "[DONE]", bool(emu) and emu[-1] == "[DONE]"
    if rec_done != emu_done:
        add(
            "stream",
            "events[-1]",
            "[DONE]" if rec_done else "no [DONE]",
            "[DONE]" if emu_done else "no [DONE]",
        )
    rec_chunks = [e for e in rec if isinstance(e, dict)]
    emu_chunks = [e for e in emu if isinstance(e, dict)]
    if rec_chunks and emu_chunks:
        _shape(rec_chunks[0], emu_chunks[0], "events[0]", add)
        _shape(rec_chunks[-1], emu_chunks[-1], "events[-1]", add)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
