"""The `emulator` command: `serve` runs the dev server."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .settings import Settings

__all__ = ["main"]

SNIPPET = """\
OpenAI fine-tuning emulator {version} listening on {url}

  from openai import OpenAI
  client = OpenAI(base_url="{url}/v1", api_key="sk-anything")
  client.files.create(file=open("train.jsonl", "rb"), purpose="fine-tune")

  export OPENAI_BASE_URL={url}/v1 OPENAI_API_KEY=sk-anything   # for code that builds its own client
  Control API: {url}/_emulator/health   (Ctrl-C to stop)
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="emulator", description="Local emulator of OpenAI's fine-tuning API.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the dev server",
        description="Run the dev server. Every flag can also be set with an EMULATOR_<FLAG> variable.",
    )
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default 8000; 0 picks a free one)")
    serve.add_argument("--seed", type=int, help="seed for ids and simulated values (default 0)")
    serve.add_argument("--clock", choices=["real", "virtual"], help="real (default) or virtual time")
    serve.add_argument("--speed", type=float, help="how much faster than the wall clock the real clock runs")
    serve.add_argument(
        "--api-key", action="append", dest="api_keys", help="accept only this key (repeatable; default: any key)"
    )
    serve.add_argument("--log-level", choices=["critical", "error", "warning", "info", "debug"])
    return parser


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    overrides = {
        "host": args.host,
        "port": args.port,
        "seed": args.seed,
        "clock": args.clock,
        "speed": args.speed,
        "api_keys": args.api_keys,
        "log_level": args.log_level,
    }
    defaults = {"clock": "real"}
    try:
        settings = Settings.from_env(**{**defaults, **{k: v for k, v in overrides.items() if v is not None}})
    except ValueError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: binding {settings.host}: the emulator accepts any API key; keep it off untrusted networks",
              file=sys.stderr)
    app = create_app(settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=settings.log_level)
    server = uvicorn.Server(config)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host

    async def announce() -> None:
        port = server.servers[0].sockets[0].getsockname()[1] if server.servers else settings.port
        print(SNIPPET.format(version=__version__, url=f"http://{host}:{port}"), flush=True)

    original_startup = server.startup

    async def startup(sockets: object = None) -> None:
        await original_startup(sockets=sockets)  # type: ignore[arg-type]
        if server.started:
            await announce()

    server.startup = startup  # type: ignore[method-assign]
    server.run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    return 2
