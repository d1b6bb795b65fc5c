"""The `emulator` command: `serve` runs the dev server, `validate` checks training data, `scenarios` lists
and checks scenario files."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import ipaddress
import json
import logging
import os
import signal
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from typing import Any

from . import __version__, cli_ci
from .azure_cli import add_azure_command, run_azure
from .logs import BatchedStreamHandler, formatter, uvicorn_log_config
from .settings import Settings
from .store.snapshot_cli import add_snapshot_command, run_snapshot

__all__ = ["AccessLog", "main", "serve_settings"]

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
    cli_ci.add_commands(commands)
    add_snapshot_command(commands)
    add_azure_command(commands)
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
        choices=["real", "virtual", "auto"],
        help="real: follows the wall clock times --speed (default); virtual: moves only when "
        "advanced through POST /_emulator/clock/advance; auto: virtual, and polling an unfinished job "
        "moves it to the job's next status",
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
        "--lifecycle",
        choices=["unrestricted", "openai"],
        help="the real service's calendar: unrestricted (default) serves every model whatever the date and "
        "warns where OpenAI would refuse; openai enforces model shutdown dates and the fine-tuning wind-down",
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
        "--azure-account",
        action="append",
        dest="azure_accounts",
        metavar="NAME=KEY",
        help="bind Azure account NAME (the {account} of ARM deployment paths) to the Azure resource of KEY, "
        "for ARM calls that send an Entra bearer token and no api-key (repeatable)",
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
        "--contract",
        choices=["off", "warn", "strict"],
        help="check every JSON body against OpenAI's OpenAPI contract: warn (default) logs a violation and "
        "names it in an x-emulator-contract-violation header; strict also answers 500 instead of sending it",
    )
    serve.add_argument(
        "--log-format",
        choices=["text", "json"],
        help="text (default) for people; json: one JSON object per line (requests, contract violations, "
        "uvicorn's messages, start and stop)",
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
SHUTDOWN_GRACE = 5  # seconds SIGTERM / Ctrl-C lets in-flight requests finish before cancelling them


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
        "lifecycle": args.lifecycle,
        "api_keys": args.api_keys,
        "log_level": args.log_level,
        "contract": args.contract,
        "log_format": args.log_format,
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
    if getattr(args, "azure_accounts", None):
        overrides["azure_accounts"] = dict(_pair(item, "--azure-account") for item in args.azure_accounts)
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
        except asyncio.CancelledError:  # shutdown's grace period ran out: answer, don't print a traceback
            if not status[0]:
                status[0] = 503
                await _shutting_down(send)
        finally:
            if self.logger.isEnabledFor(logging.INFO):  # a hidden line is never formatted
                self._log(scope, state, status[0], started)

    def _log(self, scope: Any, state: dict[str, Any], status: int, started: float) -> None:
        ms = (time.perf_counter() - started) * 1000
        path = scope["path"] + (
            "?" + scope["query_string"].decode("latin-1") if scope["query_string"] else ""
        )
        rule = state.get("journal_rule")
        line = f"{scope['method']} {path} {status or '---'} {ms:.1f}ms" + (f" [rule {rule}]" if rule else "")
        fields = {"method": scope["method"], "path": path, "status": status, "ms": round(ms, 1), "rule": rule}
        logger = self.logger
        handler = _direct(logger)
        if handler is not None and handler.write_text(line):
            return  # the emulator's own handler and text format: the line, without a LogRecord
        # else logger.info(line, extra=fields), without its search of the call stack for a source line
        logger.handle(logger.makeRecord(logger.name, logging.INFO, __file__, 0, line, (), None, extra=fields))


def _direct(logger: logging.Logger) -> BatchedStreamHandler | None:
    """The one handler the logger's records reach (its own or an ancestor's, as logging propagates them)
    when it is the emulator's own and no filter is on the way."""
    handlers: list[logging.Handler] = []
    node: logging.Logger | None = logger
    while node is not None:
        if node.filters:
            return None
        handlers += node.handlers
        if not node.propagate:
            break
        node = node.parent
    if len(handlers) == 1 and isinstance(handlers[0], BatchedStreamHandler):
        return handlers[0]
    return None


class _Terminated(Exception):
    """SIGTERM, re-raised by uvicorn after its graceful shutdown."""


def _terminated(signum: int, frame: Any) -> None:
    raise _Terminated


async def _shutting_down(send: Any) -> None:
    error = {"message": "The emulator is shutting down.", "type": "server_error", "param": None, "code": None}
    body = json.dumps({"error": error}).encode()
    headers = [(b"content-type", b"application/json"), (b"x-should-retry", b"true")]
    with contextlib.suppress(Exception):
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _configure_logging(level: str, log_format: str = "text") -> None:
    handler = BatchedStreamHandler(sys.stdout)
    handler.setFormatter(formatter(log_format))
    # one line per request, contract violation, webhook delivery or calendar warning: every emulator.*
    # logger writes through this one handler, in the chosen format
    logger = logging.getLogger("emulator")
    logger.handlers = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app
    from .protocol import uvicorn_options

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
    from .devserver import PortInUse, banner, bind, quiet_uvicorn, shown_host

    try:
        sock = bind(settings)
    except OSError as exc:  # a busy port, or an address this machine doesn't have
        print(f"emulator serve: {exc.strerror if isinstance(exc, PortInUse) else exc}", file=sys.stderr)
        return 1
    config = uvicorn.Config(
        AccessLog(app),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        **uvicorn_options(settings.max_header_bytes, fast=True),  # httptools + uvloop when installed
        log_config=uvicorn_log_config(settings.log_format),
        timeout_graceful_shutdown=SHUTDOWN_GRACE,  # a request held by a stall fault must not block SIGTERM
    )
    quiet_uvicorn(settings.log_level)
    server = uvicorn.Server(config)
    _configure_logging(settings.log_level, settings.log_format)
    host = shown_host(settings.host)
    original_startup = server.startup

    async def startup(sockets: Any = None) -> None:
        await original_startup(sockets=sockets)
        if server.started:
            port = sock.getsockname()[1]
            url = f"http://{host}:{port}"
            if settings.log_format == "json":
                print(json.dumps({"event": "listening", "url": url, "version": __version__}), flush=True)
            else:
                print(banner(settings, url), flush=True)
            for hook in settings.webhooks:
                secret = app.state.emulator.webhook_secret
                print(f"  Webhooks: fine-tuning job events -> {hook}, signed with {secret}", flush=True)

    server.startup = startup  # type: ignore[method-assign]
    # uvicorn handles Ctrl-C / SIGTERM (stops accepting, finishes requests, runs shutdown), then re-raises
    # the signal; a SIGTERM then ends here as a clean exit 0, as a pipeline or `docker stop` expects.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        server.run(sockets=[sock])
    except (KeyboardInterrupt, _Terminated):  # a second Ctrl-C while shutting down, or the SIGTERM
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
    if not server.started:
        return 1  # could not bind; uvicorn has said why
    stopped = json.dumps({"event": "stopped"}) if settings.log_format == "json" else "emulator stopped"
    print(stopped, flush=True)
    return 0


# -- validate --------------------------------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
    from .domain.files import check_filename
    from .domain.jobs.validation import analyze
    from .domain.tuning import fine_tunable_ids, methods_for, refusal
    from .errors import APIError
    from .progress import lines_with_progress

    model_error = refusal(args.model, args.method)
    try:
        check_filename("fine-tune", os.path.basename(args.file))  # what the upload itself would refuse
    except APIError as refused:
        return _refused_upload(args, refused.message)
    try:
        with open(args.file, "rb") as data:
            lines = lines_with_progress(
                data,
                os.fstat(data.fileno()).st_size,
                label=os.path.basename(args.file),
                output=sys.stderr,
                enabled=not args.json and sys.stderr.isatty(),
            )
            report = analyze(lines, args.model, method=args.method, n_epochs=args.epochs or "auto")
    except OSError as exc:
        print(f"emulator validate: {exc.strerror or exc}: {args.file}", file=sys.stderr)
        return 2
    verdict = report.job_error(args.file, "training")  # name the local path: it has no file id yet
    if args.json:
        body = report.to_dict()
        body["file"] = args.file
        body["valid"] = verdict is None and model_error is None
        body["model_error"] = model_error
        body["job_error"] = None if verdict is None else {"code": verdict.code, "message": verdict.message}
        print(json.dumps(body, indent=2))
    else:
        print(_readable(args.file, report, verdict, model_ok=model_error is None))
        if model_error is not None:
            accepted = methods_for(report.model)
            hint = (
                f"{report.model} accepts method {', '.join(accepted)}"
                if accepted
                else f"fine-tunable models: {', '.join(fine_tunable_ids())}"
            )
            print(f"INVALID: the API would refuse the job: {model_error}\n  ({hint})")
    return 0 if verdict is None and model_error is None else 1


def _refused_upload(args: argparse.Namespace, message: str) -> int:
    """A file the upload would refuse (e.g. not .jsonl): no job would ever see it."""
    if args.json:
        print(json.dumps({"file": args.file, "valid": False, "upload_error": {"message": message}}, indent=2))
    else:
        print(f"INVALID: uploading {args.file} with purpose fine-tune would fail: {message}")
    return 1


def _cost_line(report: Any) -> str:
    """The estimate and the price it used (each model's own training price, from the catalog)."""
    tuning = report.tuning
    if tuning is None:
        return f"Estimated training cost: unknown ({report.model} is not a fine-tunable model)"
    if report.estimated_cost is None:
        return f"Estimated training cost: not token-based for {report.model} ({tuning.price_label})"
    return (
        f"Estimated training cost: ${report.estimated_cost:,.2f} at {tuning.price_label} "
        f"(${tuning.price / 1000:.4g} / 1K), {report.model}'s training price"
    )


def _readable(path: str, report: Any, verdict: Any, *, model_ok: bool = True) -> str:
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
        _cost_line(report),
        "",
    ]
    if verdict is None and model_ok:
        lines.append("OK: a fine-tuning job would accept this file.")
    elif verdict is None:
        lines.append("The file itself is valid.")
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
    handlers = {"serve": _serve, "validate": _validate, "scenarios": _scenarios, **cli_ci.HANDLERS, "snapshot": run_snapshot,
                "azure": run_azure}
    try:
        return handlers[args.command](args)
    except BrokenPipeError:  # `emulator scenarios list | head`: the reader left, which is fine
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
