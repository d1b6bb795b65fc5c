"""What `emulator serve` says and binds: the startup banner (with a key that works), the listening socket
(a busy port is one clear line, not a traceback) and uvicorn's logging trimmed to what a user needs."""

from __future__ import annotations

import errno
import logging
import socket

from . import __version__
from .settings import Settings

__all__ = ["PortInUse", "banner", "bind", "quiet_uvicorn", "shown_host"]


class PortInUse(OSError):
    """The port is taken; the message says which and how to choose another."""


def shown_host(host: str) -> str:
    """An address a client on this machine can connect to (a wildcard bind is reachable on loopback)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"[{shown}]" if ":" in shown else shown


def bind(settings: Settings) -> socket.socket:
    """A socket bound to `settings.host:port` for uvicorn to serve on (port 0: a free one).

    Binding here, not in uvicorn, lets a busy port end in one sentence naming the port and the ways out.
    """
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restart without waiting
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(
                exc.errno,
                f"port {settings.port} on {settings.host} is already in use (another emulator or server?). "
                f"Choose another with --port {settings.port + 1} or EMULATOR_PORT={settings.port + 1}, "
                "or --port 0 for a free one (the banner prints the port chosen).",
            ) from None
        raise
    return sock


def banner(settings: Settings, url: str) -> str:
    """The startup text: where the server is, and a snippet whose API key the server accepts."""
    if settings.api_keys:
        key = settings.api_keys[0]
        keys = f"Accepted API keys: {', '.join(settings.api_keys)} (other keys get 401)"
    else:
        key = "sk-anything"
        keys = "Any API key works; each key is its own tenant."
    return f"""\
OpenAI fine-tuning emulator {__version__} listening on {url}

  from openai import OpenAI
  client = OpenAI(base_url="{url}/v1", api_key="{key}")

  export OPENAI_BASE_URL={url}/v1 OPENAI_API_KEY={key}   # for code that builds its own client
  python -m emulator.examples.quickstart --base-url {url}/v1 --api-key {key}   # an example run

  Azure OpenAI, same server:  AzureOpenAI(azure_endpoint="{url}", api_key="{key}", api_version="2024-10-21")

  {keys}
  Dashboard:   {url}/dashboard/
  Control API: {url}/_emulator/health   (Ctrl-C to stop)
  Lifecycle policy: {lifecycle_line(settings.lifecycle)}
"""


def lifecycle_line(policy: str) -> str:
    """What the lifecycle policy means, in the banner's words."""
    if policy == "openai":
        return "openai (model shutdown dates and the fine-tuning wind-down enforced on the emulator's clock)"
    return "unrestricted (every model works whatever the date; x-emulator-warning marks what OpenAI refuses)"


def quiet_uvicorn(level: str) -> None:
    """Keep uvicorn's own startup and shutdown chatter (its "running on" repeats the banner) out of the
    output, unless debugging; its warnings and errors still show."""
    if level.lower() != "debug":
        logging.getLogger("uvicorn.error").setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))
