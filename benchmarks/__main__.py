"""`python -m benchmarks [--quick] [--json PATH] [--baseline PATH] [--only NAME ...]`: every figure as
ratios, and a report.

Figures (each against a baseline measured in the same run):

* hot_reads: GET /v1/files/{id} and /v1/fine_tuning/jobs/{id}, requests/s and server CPU per request,
  against a bare Starlette JSON endpoint on the same uvicorn stack; on both stacks (h11 + asyncio,
  httptools + uvloop) when the latter is installed.
* logging: the emulator behind `emulator serve`'s access log at `info` against no access log.
* app_only: the app's CPU per GET (called in process, no socket) against the bare app's.
* lifecycle: server CPU for one whole job workflow through the official SDK, in bare requests.
* streaming: server CPU per streamed chat completion against a bare SSE stream.
* growth: job/file creation and list pages at growing stored counts (ratio to the smallest), and RSS
  holding the largest count of jobs and of files.
* fixture: the pytest `openai_client` fixture's per-test overhead in live mode, and the first test's wait.
* peer: against aimock (Node.js, optional: see benchmarks/peer.py), workflows per second through the SDK
  and hot-read requests/s and CPU per request; skipped, saying why, when aimock is not installed.

With `--baseline PATH` (an earlier run's `--json` report, e.g. of the previous commit on the same machine)
each figure's headline numbers are also printed beside the baseline's, with their ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from . import compare, inprocess, peer, workflows
from .load import Load, drive, generator
from .targets import Server, serve_process

FIGURES = ("hot_reads", "logging", "app_only", "lifecycle", "streaming", "growth", "fixture", "peer")
AUTH_HEADER = "authorization: " + inprocess.AUTH


def _cores() -> tuple[int | None, int | None]:
    """(server core, load core): two different cores where there are two, else no pinning."""
    try:
        cores = sorted(os.sched_getaffinity(0))
    except AttributeError:
        return None, None
    return (cores[0], cores[1]) if len(cores) >= 2 else (None, None)


class Bench:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.seconds = 1.0 if quick else 3.0
        self.repeats = 1 if quick else 3
        self.server_core, self.load_core = _cores()

    def measure(self, server: Server, load: Load) -> dict[str, float]:
        """Median over repeats of requests/s and server CPU µs per request."""
        drive(server.url, load, 0.5, self.load_core)  # warm up
        rates, cpus = [], []
        for _ in range(self.repeats):
            before = server.cpu()
            result = drive(server.url, load, self.seconds, self.load_core)
            spent = server.cpu() - before
            if result["errors"] or not result["requests"]:
                raise RuntimeError(f"{load.path}: {result}")
            rates.append(result["requests"] / result["seconds"])
            cpus.append(spent / result["requests"] * 1e6)
        return {"rps": statistics.median(rates), "cpu_us": statistics.median(cpus)}

    def measure_together(self, targets: dict[str, tuple[Server, Load]]) -> dict[str, dict[str, float]]:
        """`measure` for several targets, their repeats taken in turn (A, B, C, A, B, C, ...): on a shared
        machine the load changes over a run, and targets measured minutes apart would compare that too."""
        for server, load in targets.values():
            drive(server.url, load, 0.5, self.load_core)  # warm up
        rates: dict[str, list[float]] = {name: [] for name in targets}
        cpus: dict[str, list[float]] = {name: [] for name in targets}
        for _ in range(max(self.repeats, 5)):
            for name, (server, load) in targets.items():
                before = server.cpu()
                result = drive(server.url, load, self.seconds, self.load_core)
                spent = server.cpu() - before
                if result["errors"] or not result["requests"]:
                    raise RuntimeError(f"{load.path}: {result}")
                rates[name].append(result["requests"] / result["seconds"])
                cpus[name].append(spent / result["requests"] * 1e6)
        return {
            name: {"rps": statistics.median(rates[name]), "cpu_us": statistics.median(cpus[name])}
            for name in targets
        }

    def serve(self, app: str, stack: tuple[str, str], log_level: str = "off") -> Any:
        return serve_process(app, http=stack[0], loop=stack[1], log_level=log_level, cpu=self.server_core)

    # -- figures ---------------------------------------------------------------------------------------

    def hot_reads(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for stack in _stacks():
            name = "+".join(stack)
            with self.serve("bare", stack) as bare, self.serve("emulator", stack) as server:
                file_id, job_id = _seed(server)
                row: dict[str, Any] = self.measure_together(
                    {
                        "bare": (bare, Load("/v1/bare/file-abc123")),
                        "get_file": (server, Load(f"/v1/files/{file_id}", (AUTH_HEADER,))),
                        "get_job": (server, Load(f"/v1/fine_tuning/jobs/{job_id}", (AUTH_HEADER,))),
                    }
                )
            floor = row["bare"]
            for label in ("get_file", "get_job"):
                row[label]["rps_ratio"] = row[label]["rps"] / floor["rps"]
                row[label]["cpu_ratio"] = row[label]["cpu_us"] / floor["cpu_us"]
            out[name] = row
        return out

    def logging(self) -> dict[str, Any]:
        stack = _stacks()[-1]
        with contextlib.ExitStack() as servers:
            targets = {}
            for level in ("off", "warning", "info"):
                server = servers.enter_context(self.serve("emulator", stack, log_level=level))
                _, job_id = _seed(server)
                targets[level] = (server, Load(f"/v1/fine_tuning/jobs/{job_id}", (AUTH_HEADER,)))
            rows = self.measure_together(targets)
        for level in ("warning", "info"):
            rows[level]["cpu_ratio"] = rows[level]["cpu_us"] / rows["off"]["cpu_us"]
        return rows

    def app_only(self) -> dict[str, float]:
        figures = inprocess.app_only(300 if self.quick else 2000)
        figures["get_job_ratio"] = figures["get_job_us"] / figures["bare_us"]
        figures["get_file_ratio"] = figures["get_file_us"] / figures["bare_us"]
        return figures

    def lifecycle(self) -> dict[str, float]:
        stack = _stacks()[-1]
        with self.serve("bare", stack) as bare:
            floor = self.measure(bare, Load("/v1/bare/file-abc123"))
        with self.serve("emulator", stack) as server:
            figures = workflows.lifecycle(server, 5 if self.quick else 40)
        figures["bare_request_cpu_us"] = floor["cpu_us"]
        figures["in_bare_requests"] = figures["cpu_ms_per_workflow"] * 1000 / floor["cpu_us"]
        return figures

    def streaming(self) -> dict[str, Any]:
        stack = _stacks()[-1]
        with self.serve("bare", stack) as bare:
            floor = self.measure(bare, Load("/v1/stream", body="{}"))
        with self.serve("emulator", stack) as server:
            model = workflows.succeeded_model(server)
            body = json.dumps(
                {
                    "model": model,
                    "stream": True,
                    "messages": [{"role": "user", "content": "What is 2 plus 2?"}],
                }
            )
            got = self.measure(server, Load("/v1/chat/completions", (AUTH_HEADER,), body))
        return {"bare": floor, "chat_stream": got, "cpu_ratio": got["cpu_us"] / floor["cpu_us"]}

    def growth(self) -> dict[str, Any]:
        sizes = "100,1000" if self.quick else "100,10000,100000"
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.inprocess",
                "growth",
                sizes,
                "--probes",
                "20" if self.quick else "50",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        data: dict[str, Any] = json.loads(out)
        first, last = data["rows"][0], data["rows"][-1]
        data["growth"] = {key: last[key] / first[key] for key in first if key != "stored"}
        return data

    def fixture(self) -> dict[str, float]:
        return workflows.fixture_overhead(20 if self.quick else 100)

    def peer(self) -> dict[str, Any]:
        command, why = peer.aimock_command()
        if command is None:
            return {"skipped": why}
        count = 5 if self.quick else 30
        rows: dict[str, Any] = {}
        with self.serve("emulator", _stacks()[-1]) as server:
            rows["emulator"] = self._peer_row(server, _seed(server), peer.finish_by_running(server), count)
        with peer.serve_aimock(command, self.server_core) as mock:
            ids = peer.seed(mock)
            for _ in range(3):  # its job moves one status per read: reach the one it keeps
                job = Load(f"/v1/fine_tuning/jobs/{ids[1]}", (AUTH_HEADER,), connections=1)
                drive(mock.url, job, 0.2, None)
            rows["aimock"] = self._peer_row(mock, ids, peer.finish_by_polling, count)
        emulator, other = rows["emulator"], rows["aimock"]
        rows["ratios"] = {
            "workflows_per_s": emulator["workflow"]["workflows_per_s"] / other["workflow"]["workflows_per_s"],
            **{
                f"{label}_rps": emulator[label]["rps"] / other[label]["rps"]
                for label in ("get_file", "get_job")
            },
            **{
                f"{label}_cpu": emulator[label]["cpu_us"] / other[label]["cpu_us"]
                for label in ("get_file", "get_job")
            },
        }
        return rows

    def _peer_row(self, server: Server, ids: tuple[str, str], finish: Any, count: int) -> dict[str, Any]:
        file_id, job_id = ids
        row: dict[str, Any] = {
            "get_file": self.measure(server, Load(f"/v1/files/{file_id}", (AUTH_HEADER,))),
            "get_job": self.measure(server, Load(f"/v1/fine_tuning/jobs/{job_id}", (AUTH_HEADER,))),
        }
        row["workflow"] = peer.workflows_per_second(server, count, finish)
        return row


def _stacks() -> list[tuple[str, str]]:
    """The pure-Python stack always; httptools + uvloop when installed (what `emulator serve` then uses)."""
    stacks = [("h11", "asyncio")]
    if importlib.util.find_spec("httptools") and importlib.util.find_spec("uvloop"):
        stacks.append(("httptools", "uvloop"))
    return stacks


def _seed(server: Server) -> tuple[str, str]:
    import httpx

    headers = {"authorization": inprocess.AUTH}
    with httpx.Client(base_url=server.url, headers=headers, timeout=120) as http:
        file_id = http.post(
            "/v1/files",
            data={"purpose": "fine-tune"},
            files={"file": ("train.jsonl", inprocess.training_jsonl())},
        ).json()["id"]
        job = http.post("/v1/fine_tuning/jobs", json={"model": workflows.MODEL, "training_file": file_id})
    _settle(server)
    return str(file_id), str(job.json()["id"])


def _settle(server: Server, quiet: float = 0.01, longest: float = 120.0) -> None:
    """Wait until the server is idle (under `quiet` CPU seconds in 0.25 s): the job just created has its
    training file analysed on a worker thread (the first analysis loads a tokenizer for seconds), which
    would otherwise share the CPU being measured and hold the interpreter lock."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        before = server.cpu()
        time.sleep(0.25)
        if server.cpu() - before < quiet:
            return


def _summary(name: str, result: Any) -> list[str]:
    """The lines that say what a figure means, as ratios."""
    r = result
    if name == "hot_reads":
        return [
            f"{stack}: GET file {row['get_file']['rps_ratio']:.2f}x bare req/s "
            f"({row['get_file']['cpu_us']:.0f} vs {row['bare']['cpu_us']:.0f} us CPU), GET job "
            f"{row['get_job']['rps_ratio']:.2f}x ({row['get_job']['cpu_us']:.0f} us)"
            for stack, row in r.items()
        ]
    if name == "logging":
        return [
            f"access log at info costs {r['info']['cpu_ratio']:.2f}x the CPU of none "
            f"(at warning {r['warning']['cpu_ratio']:.2f}x)"
        ]
    if name == "app_only":
        return [
            f"in process: GET job {r['get_job_ratio']:.2f}x bare ({r['get_job_us']:.0f} vs "
            f"{r['bare_us']:.0f} us), GET file {r['get_file_ratio']:.2f}x"
        ]
    if name == "lifecycle":
        return [
            f"one SDK workflow ({r['requests_per_workflow']} requests + 1 control call): "
            f"{r['cpu_ms_per_workflow']:.2f} ms server CPU = {r['in_bare_requests']:.1f} bare requests"
        ]
    if name == "streaming":
        return [
            f"streamed chat: {r['cpu_ratio']:.2f}x a bare SSE stream's CPU "
            f"({r['chat_stream']['cpu_us']:.0f} vs {r['bare']['cpu_us']:.0f} us)"
        ]
    if name == "growth":
        g, last = r["growth"], r["rows"][-1]
        return [
            f"{r['rows'][0]['stored']} -> {last['stored']} stored: create job {g['create_job_us']:.2f}x "
            f"({last['create_job_us']:.0f} us), create file {g['create_file_us']:.2f}x, list jobs "
            f"{g['list_jobs_us']:.2f}x, list files {g['list_files_us']:.2f}x",
            f"RSS with {r['jobs']} jobs + {r['files']} files: {r['rss_full_mb']:.0f} MB "
            f"({r['rss_full_mb'] - r['rss_empty_mb']:.0f} MB over an empty emulator)",
        ]
    if name == "peer":
        if "skipped" in r:
            return [f"skipped: {r['skipped']}"]
        q, e, a = r["ratios"], r["emulator"], r["aimock"]
        ew, aw = e["workflow"], a["workflow"]
        return [
            f"vs aimock: {q['workflows_per_s']:.2f}x its workflows/s ({ew['workflows_per_s']:.1f} vs "
            f"{aw['workflows_per_s']:.1f}; server CPU {ew['cpu_ms_per_workflow']:.1f} vs "
            f"{aw['cpu_ms_per_workflow']:.1f} ms)",
            f"hot reads: GET file {q['get_file_rps']:.2f}x its req/s ({e['get_file']['cpu_us']:.0f} vs "
            f"{a['get_file']['cpu_us']:.0f} us CPU), GET job {q['get_job_rps']:.2f}x "
            f"({e['get_job']['cpu_us']:.0f} vs {a['get_job']['cpu_us']:.0f} us)",
        ]
    if name == "fixture":
        return [
            f"openai_client (live): +{r['overhead_ms']:.1f} ms per test (p99 {r['client_p99_ms']:.1f}), "
            f"first test +{r['first_test_overhead_ms']:.0f} ms"
        ]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        "-m",
        action="store_true",
        help="a short smoke run: small counts, one repeat (CI); its numbers mean little",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the report here")
    parser.add_argument("--only", nargs="+", choices=FIGURES, help="run only these figures")
    parser.add_argument(
        "--baseline", metavar="PATH", help="an earlier run's --json report: print each figure beside it"
    )
    args = parser.parse_args(argv)
    baseline: dict[str, Any] = {}
    if args.baseline:
        with open(args.baseline) as earlier:
            baseline = json.load(earlier)
    bench = Bench(args.quick)
    report: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "processor": _cpu_model(),
            "load_generator": generator(),
            "pinned": bench.server_core is not None,
            "quick": args.quick,
        },
        "note": "absolute numbers depend on the machine and its load; compare the ratios",
    }
    print(
        f"# {report['machine']['processor']}, {report['machine']['cpus']} CPUs, Python "
        f"{report['machine']['python']}, load: {generator()}, pinned: {report['machine']['pinned']}"
    )
    for name in args.only or FIGURES:
        started = time.perf_counter()
        figure: Callable[[], Any] = getattr(bench, name)
        report[name] = figure()
        for line in _summary(name, report[name]):
            print(f"{name:10} {line}")
        for line in compare.side_by_side(name, baseline.get(name), report[name]):
            print(f"{'':10} baseline: {line}")
        print(f"{'':10} ({time.perf_counter() - started:.0f} s)", flush=True)
    text = json.dumps(report, indent=2)
    if args.json:
        with open(args.json, "w") as out:
            out.write(text + "\n")
    else:
        print(text)
    return 0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
