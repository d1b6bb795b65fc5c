"""A run against a baseline run, side by side: `python -m benchmarks --baseline before.json`.

Each figure's headline numbers (the ones its summary line prints) are read from both reports and printed
as `baseline -> now (xratio)`. Only numbers from runs on the same machine compare; the ratios each run
takes against its own in-run baselines (bare Starlette, a bare SSE stream) stay the fairer figure.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["headlines", "side_by_side"]

Headline = tuple[str, float, str]  # (what, value, unit)


def headlines(name: str, result: Any) -> Iterator[Headline]:
    """The numbers that say how a figure came out."""
    if not isinstance(result, dict) or "skipped" in result:
        return
    if name == "hot_reads":
        for stack, row in result.items():
            for label in ("get_file", "get_job"):
                yield f"{stack} {label} req/s vs bare", row[label]["rps_ratio"], "x"
                yield f"{stack} {label} CPU", row[label]["cpu_us"], "us"
    elif name == "logging":
        yield "info log CPU vs none", result["info"]["cpu_ratio"], "x"
    elif name == "app_only":
        yield "GET job in process", result["get_job_us"], "us"
        yield "GET file in process", result["get_file_us"], "us"
        yield "GET job vs bare", result["get_job_ratio"], "x"
    elif name == "lifecycle":
        yield "SDK workflow server CPU", result["cpu_ms_per_workflow"], "ms"
    elif name == "streaming":
        yield "streamed chat CPU", result["chat_stream"]["cpu_us"], "us"
        yield "streamed chat vs bare SSE", result["cpu_ratio"], "x"
    elif name == "growth":
        last = result["rows"][-1]
        yield f"create job at {last['stored']}", last["create_job_us"], "us"
        yield "create job growth", result["growth"]["create_job_us"], "x"
        yield "create file growth", result["growth"]["create_file_us"], "x"
        yield f"RSS at {last['stored']} jobs + files", result["rss_full_mb"], "MB"
    elif name == "fixture":
        yield "fixture per test", result["overhead_ms"], "ms"
        yield "fixture first test", result["first_test_overhead_ms"], "ms"
    elif name == "peer":
        yield "workflows/s vs aimock", result["ratios"]["workflows_per_s"], "x"
        yield "GET job CPU vs aimock", result["ratios"]["get_job_cpu"], "x"


def side_by_side(name: str, baseline: Any, result: Any) -> list[str]:
    """One line per headline both runs have: `what: baseline -> now unit (xratio)`."""
    before = {what: value for what, value, _ in headlines(name, baseline)}
    lines = []
    for what, value, unit in headlines(name, result):
        was = before.get(what)
        if was is None:
            continue
        ratio = f" (x{value / was:.2f})" if was else ""
        lines.append(f"{what}: {was:.2f} -> {value:.2f} {unit}{ratio}")
    return lines
