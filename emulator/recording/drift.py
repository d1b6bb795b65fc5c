"""Drift: replay recorded exchanges against a fresh in-process emulator and report where it answers
differently, minus the differences accepted in `drift-accept.yaml` beside the cassettes."""

from __future__ import annotations

import base64
import fnmatch
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .cassette import Cassette, CassetteError, load_cassettes, parse_events
from .compare import Finding, compare, is_id, operation_of

__all__ = ["ACCEPT_FILE", "Acceptance", "DriftReport", "load_acceptances", "replay"]

ACCEPT_FILE = "drift-accept.yaml"
REPLAY_KEY = "sk-drift-replay"
# What a summarised upload is replaced by: a small, valid chat fine-tuning file.
_EXAMPLE = {
    "messages": [
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "Paris."},
    ]
}
SYNTHETIC_TRAINING = (json.dumps(_EXAMPLE) + "\n").encode() * 12


@dataclass(frozen=True)
class Acceptance:
    """One known difference: glob patterns on a finding's fields, and why it is fine."""

    reason: str
    operation: str = "*"
    kind: str = "*"
    where: str = "*"
    exchange: str = "*"

    def covers(self, finding: Finding) -> bool:
        return all(
            fnmatch.fnmatchcase(value, pattern)
            for value, pattern in (
                (finding.operation, self.operation),
                (finding.kind, self.kind),
                (finding.where, self.where),
                (finding.exchange, self.exchange),
            )
        )


@dataclass
class DriftReport:
    exchanges: int = 0
    findings: list[Finding] = field(default_factory=list)
    accepted: list[tuple[Finding, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (exchange, why)

    @property
    def drifted(self) -> bool:
        return bool(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "exchanges": self.exchanges,
            "drift": self.drifted,
            "findings": [f.to_dict() for f in self.findings],
            "accepted": [{**f.to_dict(), "reason": reason} for f, reason in self.accepted],
            "skipped": [{"exchange": name, "reason": why} for name, why in self.skipped],
        }

    def text(self) -> str:
        lines = [
            f"drift: {self.exchanges} exchange(s) replayed, {len(self.findings)} difference(s), "
            f"{len(self.accepted)} accepted, {len(self.skipped)} skipped"
        ]
        lines += [f"  {f.line()}" for f in self.findings]
        if self.accepted:
            lines.append("accepted:")
            lines += [f"  {f.line()}  ({reason})" for f, reason in self.accepted]
        lines += [f"skipped {name}: {why}" for name, why in self.skipped]
        lines.append("DRIFT: the emulator no longer answers as recorded." if self.drifted else "no drift.")
        return "\n".join(lines)


def load_acceptances(path: Path) -> list[Acceptance]:
    """The accept-list (absent file: none); a mistake raises CassetteError with the file and line."""
    if not path.exists():
        return []
    text = path.read_text()
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CassetteError(path, (mark.line + 1) if mark else 1, f"not valid YAML: {exc}") from None
    entries = data.get("accept") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise CassetteError(path, 1, "expected a mapping with an 'accept' list")
    known = {"reason", "operation", "kind", "where", "exchange"}
    out = []
    for index, entry in enumerate(entries):
        line = _nth_item_line(text, index)
        if not isinstance(entry, dict) or not isinstance(entry.get("reason"), str):
            raise CassetteError(path, line, f"accept[{index}]: each entry needs a 'reason'")
        unknown = sorted(set(entry) - known)
        if unknown:
            raise CassetteError(
                path, line, f"accept[{index}]: unknown key(s) {unknown}; known: {sorted(known)}"
            )
        out.append(Acceptance(**{k: str(v) for k, v in entry.items()}))
    return out


def _nth_item_line(text: str, index: int) -> int:
    seen = -1
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("- "):
            seen += 1
            if seen == index:
                return number
    return 1


def replay(directory: Path, acceptances: list[Acceptance] | None = None) -> DriftReport:
    """Replay every cassette in `directory`, in order, against a fresh emulator; compare structurally."""
    from ..settings import Settings
    from ..testing import EmulatorHandle

    cassettes = load_cassettes(directory)
    if acceptances is None:
        acceptances = load_acceptances(directory / ACCEPT_FILE)
    report = DriftReport()
    ids: dict[str, str] = {}
    settings = Settings(clock="virtual", contract="warn", api_keys=(REPLAY_KEY,))
    with EmulatorHandle(settings, mode="inprocess", api_key=REPLAY_KEY) as emulator:
        http = emulator.http_client(headers={"Authorization": f"Bearer {REPLAY_KEY}"})
        previous = cassettes[0].elapsed if cassettes else 0.0
        for cassette in cassettes:
            if cassette.upstream_error:
                report.skipped.append((cassette.name, f"the upstream failed: {cassette.upstream_error}"))
                continue
            if cassette.elapsed > previous:
                emulator.advance(cassette.elapsed - previous)
            previous = max(previous, cassette.elapsed)
            request = cassette.request
            path = _map(request["path"], ids)
            query = {k: _map(v, ids) for k, v in request.get("query", {}).items()}
            response = http.request(request["method"], path, params=query, **_replayed_body(cassette, ids))
            replayed = _as_recorded(response)
            report.exchanges += 1
            operation = operation_of(request["method"], request["path"])
            for finding in compare(cassette.name, operation, cassette.response, replayed):
                reason = next((a.reason for a in acceptances if a.covers(finding)), None)
                if reason is None:
                    report.findings.append(finding)
                else:
                    report.accepted.append((finding, reason))
            _learn_ids(cassette.response.get("body"), replayed.get("body"), ids)
    return report


def _map(value: Any, ids: dict[str, str]) -> Any:
    """Recorded ids replaced by the emulator's, in strings (whole values and path segments) and JSON."""
    if isinstance(value, str):
        if value in ids:
            return ids[value]
        if "/" in value:
            return "/".join(ids.get(part, part) for part in value.split("/"))
        return value
    if isinstance(value, dict):
        return {k: _map(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_map(v, ids) for v in value]
    return value


def _learn_ids(recorded: Any, replayed: Any, ids: dict[str, str]) -> None:
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        for key in recorded.keys() & replayed.keys():
            _learn_ids(recorded[key], replayed[key], ids)
    elif isinstance(recorded, list) and isinstance(replayed, list):
        for rec, emu in zip(recorded, replayed, strict=False):
            _learn_ids(rec, emu, ids)
    elif is_id(recorded) and is_id(replayed) and recorded != replayed:
        ids.setdefault(recorded, replayed)


def _replayed_body(cassette: Cassette, ids: dict[str, str]) -> dict[str, Any]:
    request = cassette.request
    if "form" in request:
        form = request["form"]
        files = [
            (
                f["name"],
                (
                    f.get("filename") or "file",
                    _content(f),
                    f.get("content_type") or "application/octet-stream",
                ),
            )
            for f in form.get("files", [])
        ]
        return {"data": _map(form.get("fields", {}), ids), "files": files}
    if request.get("body") is not None:
        return {"json": _map(request["body"], ids)}
    if "data" in request:
        return {"content": _content(request["data"])}
    if "text" in request:
        return {"content": request["text"].encode(), "headers": {"content-type": "application/json"}}
    return {}


def _content(summary: dict[str, Any]) -> bytes:
    """The recorded bytes when kept, else a valid training file standing in for them."""
    if isinstance(summary.get("content"), str):
        return str(summary["content"]).encode()
    if isinstance(summary.get("content_base64"), str):
        return base64.b64decode(summary["content_base64"])
    return SYNTHETIC_TRAINING


def _as_recorded(response: Any) -> dict[str, Any]:
    """The emulator's response in the cassette's shape, so the two compare like for like."""
    content_type = response.headers.get("content-type", "")
    out: dict[str, Any] = {"status": response.status_code, "headers": dict(response.headers)}
    if content_type.startswith("text/event-stream"):
        out["events"] = parse_events(response.text)
    elif content_type.startswith("application/json"):
        try:
            out["body"] = response.json()
        except ValueError:
            out["text"] = response.text
    else:
        out["data"] = {"bytes": len(response.content)}
    return out
