"""A local, deterministic emulator of OpenAI's fine-tuning API."""

from __future__ import annotations

__version__ = "0.1.0"

from .app import create_app as create_app  # noqa: E402
from .server import EmulatorServer as EmulatorServer  # noqa: E402
from .server import EmulatorServerError as EmulatorServerError  # noqa: E402
from .settings import Settings as Settings  # noqa: E402
from .testing import EmulatorHandle as EmulatorHandle  # noqa: E402

__all__ = ["EmulatorHandle", "EmulatorServer", "EmulatorServerError", "Settings", "__version__", "create_app"]
