"""Azure Resource Manager routes the emulator serves beside the data planes (deployments of an Azure
resource), and their control-API shortcuts."""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import control, deployments

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    return [*deployments.routes(), *control.routes()]
