"""The coverage report of a session: operations called, statuses and error types, job states seen, faults
and the client's reactions, job polling, and the client-behaviour verdict (JSON, and a short summary)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from .observe import Observation
from .verdict import TERMINAL, judge, polling

__all__ = ["Coverage", "summary_lines"]

_ID_SEGMENT = re.compile(r"^(file-|ftjob-|ftckpt-|upload_|ft:|chatcmpl-)")


class Coverage:
    """Observations grouped by test (pytest node id) or tenant; `report()` renders the whole session."""

    def __init__(self) -> None:
        self.groups: dict[str, list[Observation]] = {}

    def add(self, test: str, observations: list[Observation]) -> None:
        if observations:
            self.groups.setdefault(test, []).extend(observations)

    def report(self) -> dict[str, Any]:
        from ..contract import load

        contract = load()
        operations: dict[str, dict[str, Any]] = {}
        job_states: Counter[str] = Counter()
        faults: dict[str, Counter[str]] = {}
        findings: list[dict[str, Any]] = []
        applied: Counter[str] = Counter()
        polls: list[dict[str, Any]] = []
        total = 0
        for test, observations in self.groups.items():
            for obs in observations:
                total += 1
                entry = operations.setdefault(
                    _operation(contract, obs), {"calls": 0, "statuses": Counter(), "error_types": Counter()}
                )
                entry["calls"] += 1
                entry["statuses"][str(obs.status)] += 1
                if obs.error_type:
                    entry["error_types"][obs.error_code or obs.error_type] += 1
                job_states.update(obs.jobs.values())
            test_findings, test_applied = judge(test, observations)
            findings += [f.to_dict() for f in test_findings]
            applied.update(test_applied)
            polls += [
                {"test": test, "job": job.job_id, "reads": len(job.reads), "status_changes": job.changes,
                 "wasted_reads": job.wasted, "statuses": [status for _, status in job.reads]}
                for job in polling(observations)
            ]  # fmt: skip
            for obs, reaction in _reactions(observations):
                faults.setdefault(obs.fault or "?", Counter())[reaction] += 1
        served = {f"{op.method} {op.path}" for op in contract.operations()}
        return {
            "spec_version": contract.version,
            "summary": {
                "tests": len(self.groups),
                "requests": total,
                "operations_called": len(served & operations.keys()),
                "operations_served": len(served),
                "findings": Counter(f["severity"] for f in findings),
            },
            "operations": {
                name: {**data, "statuses": dict(data["statuses"]), "error_types": dict(data["error_types"])}
                for name, data in sorted(operations.items())
            },
            "operations_not_called": sorted(served - operations.keys()),
            "job_states_observed": dict(sorted(job_states.items())),
            "terminal_states_observed": sorted(TERMINAL & job_states.keys()),
            "faults": {name: dict(reactions) for name, reactions in sorted(faults.items())},
            "job_polling": polls,
            "verdict": {"checks_applied": dict(applied), "findings": findings},
        }

    def write(self, path: Path) -> dict[str, Any]:
        report = self.report()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")
        return report


def summary_lines(report: dict[str, Any], limit: int = 10) -> list[str]:
    """A few lines for the end of a test run (or the CLI)."""
    s = report["summary"]
    counts = s["findings"]
    states = ", ".join(report["job_states_observed"]) or "none"
    lines = [
        f"{s['requests']} request(s) in {s['tests']} test(s); "
        f"{s['operations_called']}/{s['operations_served']} operations called; job states seen: {states}"
    ]
    if report["faults"]:
        lines.append("faults: " + "; ".join(f"{name}: {dict(r)}" for name, r in report["faults"].items()))
    findings = report["verdict"]["findings"]
    lines.append(
        f"client verdict: {counts.get('error', 0)} error(s), {counts.get('warning', 0)} warning(s)"
        if findings
        else "client verdict: no findings"
    )
    for finding in findings[:limit]:
        lines.append(f"  [{finding['severity']}] {finding['check']}: {finding['test']}: {finding['message']} "
                     f"({', '.join(finding['request_ids'])})")  # fmt: skip
    if len(findings) > limit:
        lines.append(f"  ... {len(findings) - limit} more in the JSON report")
    return lines


def _operation(contract: Any, obs: Observation) -> str:
    template = contract.template(obs.method, obs.path)
    if template is not None:
        return f"{obs.method} /v1{template}"
    parts = ["{id}" if _ID_SEGMENT.match(p) else p for p in obs.path.split("/")]
    return f"{obs.method} {'/'.join(parts)}"


def _reactions(observations: list[Observation]) -> list[tuple[Observation, str]]:
    ordered = sorted(observations, key=lambda o: o.arrived)
    out = []
    for index, obs in enumerate(ordered):
        if not obs.fault:
            continue
        again = any(later.fingerprint == obs.fingerprint for later in ordered[index + 1 :])
        out.append((obs, "retried" if again else "not retried"))
    return out
