"""The `emulator` command: `serve` runs the dev server, `validate` checks training data, `scenarios` lists
and checks scenario files."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import ipaddress
import json
import logging
import os
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from typing import Any

from . import __version__
from .settings import Settings
from .store.snapshot_cli import add_snapshot_command, run_snapshot

__all__ = ["AccessLog", "main", "serve_settings"]

SNIPPET = """\
OpenAI fine-tuning emulator {version} listening on {url}

  from openai import OpenAI
  client = OpenAI(base_url="{url}/v1", api_key="sk-anything")
  client.files.create(file=open("train.jsonl", "rb"), purpose="fine-tune")

  export OPENAI_BASE_URL={url}/v1 OPENAI_API_KEY=sk-anything   # for code that builds its own client
  Control API: {url}/_emulator/health   (Ctrl-C to stop)
"""

ENV_PREFIX = "EMULATOR_"
LOOPBACK_NAMES = ("localhost",)
access_log = logging.getLogger("emulator.access")


# -- the parser ------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emulator",
        description="Local, deterministic emulator of OpenAI's fine-tuning API.",
        epilog="Run 'emulator <command> --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    _add_serve(commands)
    _add_validate(commands)
    _add_scenarios(commands)
    add_snapshot_command(commands)
    return parser


def _add_serve(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the dev server",
        description="Run the dev server. Every option can also be set with an environment variable "
        "EMULATOR_<SETTING> (e.g. EMULATOR_PORT=9000, EMULATOR_API_KEYS=sk-a,sk-b); options win.",
    )
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1; others get a warning)")
    serve.add_argument("--port", type=int, help="port to bind (default 8000; 0 picks a free one)")
    serve.add_argument("--seed", type=int, help="seed for ids and simulated values (default 0)")
    serve.add_argument(
        "--clock",
        choices=["real", "virtual"],
        help="real: follows the wall clock times --speed (default); virtual: moves only when "
        "advanced through POST /_emulator/clock/advance",
    )
    serve.add_argument(
        "--speed",
        type=float,
        help=f"how many times faster than the wall clock a real clock runs (default {DEV_SERVER_SPEED:g} for serve)",
    )
    serve.add_argument("--start-time", type=float, help="Unix time a virtual clock starts at")
    serve.add_argument(
        "--job-progression",
        choices=["time", "manual", "step-per-read"],
        help="how fine-tuning jobs progress: on the clock (default), only when advanced or run through the "
        "control API, or one status per retrieve",
    )
    serve.add_argument(
        "--scenario",
        action="append",
        dest="scenarios",
        metavar="FILE",
        help="activate a scenario for every tenant: a YAML file or a library name such as flaky_network "
        "(repeatable; 'emulator scenarios list' shows the library)",
    )
    serve.add_argument(
        "--scenario-dir",
        metavar="DIR",
        help="a directory of your scenarios, nameable like the library's (X-Emulator-Scenario, control API)",
    )
    serve.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept only this key (repeatable; default: any key, each its own tenant)",
    )
    serve.add_argument(
        "--org",
        action="append",
        dest="organizations",
        metavar="KEY=NAME",
        help="put API key KEY in organization NAME (repeatable; keys may share one)",
    )
    serve.add_argument(
        "--webhook",
        action="append",
        dest="webhooks",
        metavar="URL",
        help="send fine-tuning job events to URL for every tenant (repeatable; loopback hosts only unless "
        "webhook_allow_hosts allows more)",
    )
    serve.add_argument(
        "--webhook-secret",
        metavar="WHSEC",
        help="the whsec_... secret --webhook deliveries are signed with (default: derived from the seed, "
        "printed at startup)",
    )
    serve.add_argument(
        "--lenient",
        action="store_true",
        default=None,
        help="lenient mode for suites generated from the spec: unknown ids of the right prefix "
        "(file-abc123, ft-AF1WoRqd3aJAHsqc9NY7iL8F, ...) are materialized on first use",
    )
    serve.add_argument(
        "--set",
        action="append",
        dest="extra",
        metavar="SETTING=VALUE",
        help="any other setting, e.g. --set max_file_bytes=1048576 (repeatable)",
    )
    serve.add_argument(
        "--data-dir",
        metavar="DIR",
        help="keep all state in DIR (survives restarts and crashes; one server per DIR); default: memory",
    )
    serve.add_argument(
        "--preload",
        action="append",
        metavar="FILE",
        help="load a fixture file (objects with chosen ids) at startup; once per --data-dir (repeatable)",
    )
    serve.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        help="info (default) prints one line per request; warning hides them",
    )


def _add_validate(commands: Any) -> None:
    validate = commands.add_parser(
        "validate",
        help="check a fine-tuning data file as a job would",
        description="Check a JSONL training file with the same analysis a fine-tuning job runs (the checks "
        "of OpenAI's data-preparation guide): format errors with line numbers, missing assistant "
        "messages, examples over the token limit, too few examples; then token statistics, the auto "
        "epoch count, billed tokens and the estimated training cost. Exits 1 when the file has errors.",
    )
    validate.add_argument("file", metavar="FILE", help="the JSONL file")
    validate.add_argument(
        "--model",
        default="gpt-3.5-turbo",
        help="base model, for its tokenizer and token limit (default gpt-3.5-turbo)",
    )
    validate.add_argument("--epochs", type=int, help="n_epochs to price (default: the auto rule)")
    validate.add_argument(
        "--method",
        choices=["supervised", "dpo", "reinforcement"],
        default="supervised",
        help="the fine-tuning method, which decides the expected format (default supervised)",
    )
    validate.add_argument("--json", action="store_true", help="print the report as JSON")


def _add_scenarios(commands: Any) -> None:
    scenarios = commands.add_parser(
        "scenarios",
        help="list the scenario library or check scenario files",
        description="List the ready scenarios shipped in scenarios/, or validate scenario files.",
    )
    actions = scenarios.add_subparsers(dest="action", required=True, metavar="action")
    listing = actions.add_parser(
        "list", help="list the library's scenarios", description="List the library's scenarios."
    )
    listing.add_argument("--dir", help="a directory of your own scenarios, listed before the library")
    listing.add_argument("--json", action="store_true", help="print name, description and path as JSON")
    check = actions.add_parser(
        "check",
        help="validate scenario files",
        description="Validate scenario files without starting a server: each problem is printed with its "
        "file, line and key path; exits 1 when any file is bad.",
    )
    check.add_argument("files", nargs="+", metavar="FILE")


# -- serve -----------------------------------------------------------------------------------------------


DEV_SERVER_SPEED = 10.0


def serve_settings(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings for `serve`: EMULATOR_* variables, then flags; the dev server's clock defaults to real,
    running at DEV_SERVER_SPEED."""
    environ = os.environ if environ is None else environ
    overrides: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "seed": args.seed,
        "clock": args.clock,
        "speed": args.speed,
        "start_time": args.start_time,
        "job_progression": args.job_progression,
        "api_keys": args.api_keys,
        "log_level": args.log_level,
        "webhook_secret": args.webhook_secret,
        "lenient": getattr(args, "lenient", None),
    }
    if args.webhooks:
        overrides["webhooks"] = tuple(args.webhooks)
    if args.scenarios:
        overrides["scenarios"] = tuple(args.scenarios)
    if args.scenario_dir:
        overrides["scenario_dir"] = args.scenario_dir
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    if args.preload:
        overrides["preload"] = tuple(args.preload)
    if args.organizations:
        overrides["organizations"] = dict(_pair(item, "--org") for item in args.organizations)
    for item in args.extra or ():
        name, value = _pair(item, "--set")
        overrides[name.replace("-", "_")] = value
    if overrides["clock"] is None and f"{ENV_PREFIX}CLOCK" not in environ:
        overrides["clock"] = "real"
    if overrides["speed"] is None and f"{ENV_PREFIX}SPEED" not in environ:
        # Ten times real pacing: a 12-example job passes every status in about 20 s of wall time.
        overrides["speed"] = DEV_SERVER_SPEED
    return Settings.from_env(ENV_PREFIX, environ, **overrides)


def _pair(item: str, flag: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise ValueError(f"{flag} expects NAME=VALUE, not {item!r}")
    return name.strip(), value.strip()


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class AccessLog:
    """Pure ASGI wrapper: one line per request, `METHOD /path?query STATUS 1.2ms [rule NAME]`.

    The fired rule is the one the journal records for the request (the edge leaves it in the scope state).
    """

    def __init__(self, app: Any, logger: logging.Logger = access_log) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [0]
        state = scope.setdefault("state", {})

        async def recording_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            ms = (time.perf_counter() - started) * 1000
            path = scope["path"] + (
                "?" + scope["query_string"].decode("latin-1") if scope["query_string"] else ""
            )
            rule = state.get("journal_rule")
            line = f"{scope['method']} {path} {status[0] or '---'} {ms:.1f}ms" + (
                f" [rule {rule}]" if rule else ""
            )
            self.logger.info(line)


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    for logger in (access_log, logging.getLogger("emulator.webhooks")):  # one line per request / delivery
        logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    try:
        settings = serve_settings(args)
    except ValueError as exc:
        print(f"emulator serve: {exc}", file=sys.stderr)
        return 2
    if not _is_loopback(settings.host):
        print(
            f"warning: binding {settings.host} makes the emulator reachable from other machines; it accepts "
            f"{'the allow-listed keys' if settings.api_keys else 'any API key'} and has an unauthenticated "
            "control API (/_emulator): keep it off untrusted networks",
            file=sys.stderr,
        )
    try:
        app = create_app(settings)
    except (ValueError, OSError) as exc:  # e.g. a bad scenario file
        print(f"emulator serve: {exc}", file=sys.stderr)
        return 2
    config = uvicorn.Config(
        AccessLog(app), host=settings.host, port=settings.port, log_level=settings.log_level, access_log=False
    )
    server = uvicorn.Server(config)
    _configure_logging(settings.log_level)
    # A wildcard bind is reachable on loopback; print an address the snippet can actually connect to.
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    host = f"[{shown}]" if ":" in shown else shown
    original_startup = server.startup

    async def startup(sockets: Any = None) -> None:
        await original_startup(sockets=sockets)
        if server.started:
            port = server.servers[0].sockets[0].getsockname()[1] if server.servers else settings.port
            print(SNIPPET.format(version=__version__, url=f"http://{host}:{port}"), flush=True)
            for url in settings.webhooks:
                secret = app.state.emulator.webhook_secret
                print(f"  Webhooks: fine-tuning job events -> {url}, signed with {secret}", flush=True)

    server.startup = startup  # type: ignore[method-assign]
    try:
        server.run()  # uvicorn handles Ctrl-C / SIGTERM: stops accepting, finishes requests, runs shutdown
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down
        pass
    if not server.started:
        return 1  # could not bind; uvicorn has said why
    print("emulator stopped", flush=True)
    return 0


# -- validate --------------------------------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
    from .domain.jobs.validation import TRAINING_PRICE_PER_1K, analyze

    try:
        with open(args.file, "rb") as data:
            report = analyze(data, args.model, method=args.method, n_epochs=args.epochs or "auto")
    except OSError as exc:
        print(f"emulator validate: {exc.strerror or exc}: {args.file}", file=sys.stderr)
        return 2
    verdict = report.job_error("file-" + os.path.basename(args.file), "training")
    if args.json:
        body = report.to_dict()
        body["file"] = args.file
        body["price_per_1k_tokens_usd"] = TRAINING_PRICE_PER_1K
        body["valid"] = verdict is None
        body["job_error"] = None if verdict is None else {"code": verdict.code, "message": verdict.message}
        print(json.dumps(body, indent=2))
    else:
        print(_readable(args.file, report, verdict, TRAINING_PRICE_PER_1K))
    return 0 if verdict is None else 1


def _readable(path: str, report: Any, verdict: Any, price: float) -> str:
    """The validate report for people: errors with line numbers, warnings, token statistics, cost."""
    lines = [
        f"{path}: {report.n_examples:,} example(s) on {report.n_lines:,} line(s), {report.bytes:,} bytes",
        f"Model {report.model}, method {report.method}: expects the {report.expected_format} format"
        + (f", {report.token_limit:,} tokens per example" if report.token_limit else ""),
    ]
    errors = []
    if report.format_mismatch:
        errors.append("  " + report.format_mismatch.format(file=path).strip())
    errors += [f"  line {p.line}: {p.detail}" for p in report.problems]
    if report.n_problems > len(report.problems):
        errors.append(f"  ... and {report.n_problems - len(report.problems):,} more")
    if report.n_examples < 10:
        errors.append(
            f"  too few examples: {report.n_examples}, a job needs at least 10 (50-100 recommended)"
        )
    if errors:
        lines += ["", f"Errors ({len(errors)}):", *errors]
    warnings = []
    if report.n_truncated:
        shown = ", ".join(f"example {n} ({tokens:,} tokens)" for n, tokens in report.truncated)
        more = (
            f" and {report.n_truncated - len(report.truncated):,} more"
            if report.n_truncated > len(report.truncated)
            else ""
        )
        warnings.append(
            f"  {report.n_truncated:,} example(s) over the {report.token_limit:,}-token limit "
            f"will be truncated: {shown}{more}"
        )
    if report.n_flagged:
        where = ", ".join(str(line) for line, _ in report.flagged)
        outcome = "enough to fail the job" if report.moderation_rejected else "not enough to fail the job"
        warnings.append(
            f"  {report.n_flagged:,} example(s) flagged by the safety screening "
            f"({', '.join(report.flagged_categories)}; lines {where}): {outcome}"
        )
    if 10 <= report.n_examples < 50:
        warnings.append(f"  {report.n_examples} examples: OpenAI recommends 50-100 to see clear improvements")
    if warnings:
        lines += ["", "Warnings:", *warnings]
    stats = report.token_stats()
    epochs = "auto" if report.requested_epochs == "auto" else "given"
    lines += [
        "",
        f"Tokens per example: min {stats['min']:,}, max {stats['max']:,}, mean {stats['mean']:,}, "
        f"median {stats['median']:,}, p5 {stats['p5']:,}, p95 {stats['p95']:,}",
        f"Tokens in the file: {report.total_tokens:,} ({report.billable_tokens:,} billed per epoch)",
        f"Epochs: {report.n_epochs} ({epochs})",
        f"Trained tokens: {report.trained_tokens:,} = {report.billable_tokens:,} x {report.n_epochs}",
        f"Estimated training cost: ${report.estimated_cost:,.2f} at ${price} / 1K tokens",
        "",
    ]
    if verdict is None:
        lines.append("OK: a fine-tuning job would accept this file.")
    else:
        lines.append(f"INVALID: a fine-tuning job would fail with {verdict.code}: {verdict.message}")
    return "\n".join(lines)


# -- scenarios -------------------------------------------------------------------------------------------


def _scenarios(args: argparse.Namespace) -> int:
    from .scenarios import check_files, list_library

    if args.action == "list":
        entries = list_library(args.dir)
        if args.json:
            print(json.dumps([dataclasses.asdict(e) for e in entries], indent=2))
            return 0
        width = max((len(e.name) for e in entries), default=0)
        for entry in entries:
            summary = textwrap.shorten(" ".join(entry.description.split()), 100, placeholder=" ...")
            print(f"{entry.name:<{width}}  {summary}")
        print(
            f"\n{len(entries)} scenario(s). Use one with: emulator serve --scenario NAME, "
            "or @pytest.mark.emulator(scenario=NAME) in a test."
        )
        return 0
    problems = check_files(args.files)
    for problem in problems:
        print(problem, file=sys.stderr)
    for path in args.files:
        if not any(problem.startswith(str(path)) for problem in problems):
            print(f"ok  {path}")
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"serve": _serve, "validate": _validate, "scenarios": _scenarios, "snapshot": run_snapshot}
    try:
        return handlers[args.command](args)
    except BrokenPipeError:  # `emulator scenarios list | head`: the reader left, which is fine
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
