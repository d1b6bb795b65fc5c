"""The CI commands of `emulator`: `contract show`, `record` (a recording proxy), `drift` (replay),
`coverage` (a dev server's coverage report) and `wait` (readiness)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["HANDLERS", "add_commands"]


def add_commands(commands: Any) -> None:
    contract = commands.add_parser(
        "contract",
        help="show the OpenAI contract the emulator checks against",
        description="The OpenAPI contract shipped with the emulator: the spec's version and the operations "
        "the emulator serves.",
    )
    actions = contract.add_subparsers(dest="action", required=True, metavar="action")
    show = actions.add_parser("show", help="list the operations served, with the spec version")
    show.add_argument("--json", action="store_true", help="print the list as JSON")

    record = commands.add_parser(
        "record",
        help="run a recording proxy in front of OpenAI (or any compatible API)",
        description="Forward every request to --upstream and write each exchange to --out as a readable "
        "JSON cassette. API keys, organization and project ids are redacted; uploaded files are kept as "
        "name, size and sha256 only. An unreachable upstream answers 502, a timeout 504 (both recorded).",
    )
    record.add_argument("--upstream", required=True, help="the API's origin, e.g. https://api.openai.com")
    record.add_argument("--out", required=True, type=Path, help="directory for the cassettes")
    record.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    record.add_argument("--port", type=int, default=8001, help="port (default 8001; 0 picks a free one)")
    record.add_argument("--keep-uploads", action="store_true", help="store uploaded file contents too")
    record.add_argument(
        "--no-redact", action="store_true", help="keep keys and ids as sent (never commit such cassettes)"
    )
    record.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the upstream")

    drift = commands.add_parser(
        "drift",
        help="replay cassettes against the emulator and report differences",
        description="Replay the cassettes in DIR, in order, against a fresh in-process emulator (recorded "
        "ids "
        "mapped to the emulator's) and compare structurally: status, error type/code/param/message, keys "
        "and value types, enum values, header names, pagination, event messages, stream chunks. Known "
        "differences listed in DIR/drift-accept.yaml are reported as accepted. Exit 0: no drift; 1: drift; "
        "2: a cassette or the accept-list could not be read.",
    )
    drift.add_argument("dir", type=Path, metavar="DIR")
    drift.add_argument("--json", metavar="PATH", help="also write the report as JSON to PATH ('-': stdout)")
    drift.add_argument(
        "--accept", type=Path, metavar="FILE", help="accept-list (default DIR/drift-accept.yaml)"
    )
    _add_coverage(commands)
    wait = commands.add_parser(
        "wait",
        help="wait until an emulator (or recording proxy) is ready",
        description="Poll URL/healthz until it answers 200; exit 0 when ready, 1 after --timeout seconds.",
    )
    wait.add_argument("url", metavar="URL", help="the server's origin, e.g. http://127.0.0.1:8000 (/v1 ok)")
    wait.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")


def _add_coverage(commands: Any) -> None:
    coverage = commands.add_parser(
        "coverage",
        help="fetch a running emulator's coverage report and client verdict",
        description="Fetch GET URL/_emulator/coverage from a running `emulator serve`: operations called, "
        "statuses and error types, job states observed, faults and reactions, and the client-behaviour "
        "verdict, per tenant. Prints the summary; --out writes the JSON.",
    )
    coverage.add_argument("url", metavar="URL", help="the emulator's origin, e.g. http://127.0.0.1:8000")
    coverage.add_argument("--out", type=Path, metavar="PATH", help="write the JSON report here")
    coverage.add_argument(
        "--reset", action="store_true", help="forget what was reported (start a new session)"
    )
    coverage.add_argument(
        "--fail-on", choices=["error", "warning", "never"], default="never",
        help="exit 1 when the verdict has findings of this severity or worse (default never)",
    )  # fmt: skip


def _coverage(args: argparse.Namespace) -> int:
    import httpx2

    from .coverage import summary_lines

    url = args.url.rstrip("/").removesuffix("/v1") + "/_emulator/coverage"
    try:
        response = httpx2.get(url, params={"reset": "true"} if args.reset else None, timeout=30)
        response.raise_for_status()
        report = response.json()
    except (httpx2.HTTPError, ValueError) as exc:
        print(f"emulator coverage: could not read {url}: {exc}", file=sys.stderr)
        return 2
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    print("\n".join(summary_lines(report)))
    severities = {"error": ("error",), "warning": ("error", "warning"), "never": ()}[args.fail_on]
    failing = [f for f in report["verdict"]["findings"] if f["severity"] in severities]
    return 1 if failing else 0


def _wait(args: argparse.Namespace) -> int:
    import time

    import httpx2

    url = args.url.rstrip("/").removesuffix("/v1") + "/healthz"
    deadline = time.monotonic() + args.timeout
    last = "no answer yet"
    while True:
        try:
            response = httpx2.get(url, timeout=max(0.1, min(2.0, deadline - time.monotonic())))
            if response.status_code == 200:
                print(f"ready: {url}")
                return 0
            last = f"HTTP {response.status_code}"
        except httpx2.HTTPError as exc:
            last = str(exc) or type(exc).__name__
        if time.monotonic() >= deadline:
            print(f"emulator wait: {url} not ready after {args.timeout:g} s ({last})", file=sys.stderr)
            return 1
        time.sleep(0.1)


def _contract(args: argparse.Namespace) -> int:
    from .contract import UNSPECIFIED_ROUTES, load

    contract = load()
    meta = contract.vendored
    operations = contract.operations()
    if args.json:
        body = {
            "spec_version": contract.version,
            "retrieved": meta.get("retrieved"),
            "source_sha256": meta.get("source_sha256"),
            "operations": [dataclasses.asdict(op) for op in operations],
            "unspecified_routes": UNSPECIFIED_ROUTES,
        }
        print(json.dumps(body, indent=2))
        return 0
    print(f"OpenAI OpenAPI spec {contract.version} (retrieved {meta.get('retrieved', 'unknown')})")
    method_width = max(len(op.method) for op in operations)
    path_width = max(len(op.path) for op in operations)
    for op in operations:
        print(f"  {op.method:<{method_width}}  {op.path:<{path_width}}  {op.operation_id}")
    print(f"{len(operations)} operation(s) served and checked.")
    if UNSPECIFIED_ROUTES:
        print("Served, not in the spec:")
        for path, reason in UNSPECIFIED_ROUTES.items():
            print(f"  {path}: {reason}")
    return 0


def _record(args: argparse.Namespace) -> int:
    import uvicorn

    from .recording.proxy import RecordingProxy

    if not args.upstream.startswith(("http://", "https://")):
        print(f"emulator record: --upstream must be an http(s) URL, not {args.upstream!r}", file=sys.stderr)
        return 2
    proxy = RecordingProxy(
        args.upstream, args.out, keep_uploads=args.keep_uploads, redact_secrets=not args.no_redact,
        timeout=args.timeout,
    )  # fmt: skip
    server = uvicorn.Server(
        uvicorn.Config(proxy, host=args.host, port=args.port, log_level="warning", access_log=False)
    )
    _announce(
        server,
        lambda url: (
            f"recording proxy listening on {url} -> {proxy.upstream}; cassettes in {args.out}\n"
            f"  export OPENAI_BASE_URL={url}/v1"
        ),
    )
    server.run()
    return 0 if server.started else 1


def _announce(server: Any, banner: Callable[[str], str]) -> None:
    """Print `banner(url)` once the server listens (with the port it chose when asked for port 0)."""
    original = server.startup

    async def startup(sockets: Any = None) -> None:
        await original(sockets=sockets)
        if server.started and server.servers:
            host, port = server.servers[0].sockets[0].getsockname()[:2]
            print(banner(f"http://{'[' + host + ']' if ':' in host else host}:{port}"), flush=True)

    server.startup = startup


def _drift(args: argparse.Namespace) -> int:
    from .recording.cassette import CassetteError
    from .recording.drift import ACCEPT_FILE, load_acceptances, replay

    try:
        acceptances = load_acceptances(args.accept or args.dir / ACCEPT_FILE)
        report = replay(args.dir, acceptances)
    except CassetteError as exc:
        print(f"emulator drift: {exc}", file=sys.stderr)
        return 2
    if args.json == "-":
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.text())
        if args.json:
            Path(args.json).write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    return 1 if report.drifted else 0


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "contract": _contract,
    "record": _record,
    "drift": _drift,
    "coverage": _coverage,
    "wait": _wait,
}
