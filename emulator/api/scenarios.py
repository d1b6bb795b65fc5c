"""/_emulator/scenarios: load (YAML, JSON or a library name), list, check and clear, per tenant or for all."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..errors import InvalidRequestError, NotFoundError
from ..scenarios import Scenario, ScenarioError, list_library, parse_scenario, parse_yaml
from .common import control_scope, emulator, ok
from .listing import list_page

__all__ = ["routes"]

PREFIX = "/_emulator/scenarios"
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")


def _organization(request: Request, body: dict[str, Any]) -> str | None:
    target = control_scope(request, body)
    return target.organization.id if target else None


def _invalid(exc: ScenarioError) -> InvalidRequestError:
    return InvalidRequestError(str(exc), param=exc.path or None, code="invalid_scenario")


async def _read(request: Request) -> tuple[Scenario | None, dict[str, Any]]:
    """The scenario in the body: raw YAML, or JSON with one of `yaml`, `scenario` (an object) or `name`."""
    raw = (await request.body()).decode("utf-8", "replace")
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    try:
        if content_type in _YAML_TYPES:
            return parse_yaml(raw, "<request body>"), {}
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return parse_yaml(raw, "<request body>"), {}
        if not isinstance(body, dict):
            raise InvalidRequestError("Expected a JSON object with 'yaml', 'scenario' or 'name'.")
        given = [k for k in ("yaml", "scenario", "name") if body.get(k) is not None]
        if len(given) > 1:
            raise InvalidRequestError(
                f"Give only one of 'yaml', 'scenario' or 'name', not {' and '.join(given)}."
            )
        if "yaml" in given:
            if not isinstance(body["yaml"], str):
                raise InvalidRequestError("'yaml' must be a string of YAML text.", param="yaml")
            return parse_yaml(body["yaml"], "<yaml>"), body
        if "scenario" in given:
            return parse_scenario(body["scenario"], "<json>"), body
        if "name" in given:
            return emulator(request).scenarios.find(str(body["name"]), _organization(request, body)), body
        return None, body
    except ScenarioError as exc:
        raise _invalid(exc) from None
    except KeyError:
        raise NotFoundError(f"No scenario named {body.get('name')!r}", param="name") from None


async def load(request: Request) -> Response:
    scenario, body = await _read(request)
    if scenario is None:
        raise InvalidRequestError(
            "Give the scenario as 'yaml', 'scenario' (an object) or 'name' (from the library)."
        )
    summary = emulator(request).scenarios.load(scenario, _organization(request, body))
    return ok(summary)


async def check(request: Request) -> Response:
    """Validate without loading: `{"valid": true}` or the problem with its line and key path."""
    try:
        scenario, _ = await _read(request)
    except InvalidRequestError as exc:
        return ok({"valid": False, "error": exc.message, "path": exc.param})
    return ok({"valid": scenario is not None, "name": scenario.name if scenario else None})


def _name(entry: dict[str, Any]) -> str:
    return str(entry["name"])


async def list_active(request: Request) -> Response:
    active = emulator(request).scenarios.describe(_organization(request, {}))
    return ok(list_page(request, active, _name, dict))


async def library(request: Request) -> Response:
    directory = emulator(request).settings.scenario_dir or None
    entries = [
        {"name": e.name, "description": e.description, "path": e.path} for e in list_library(directory)
    ]
    return ok(list_page(request, entries, _name, dict))


async def clear(request: Request) -> Response:
    organization = _organization(request, {})
    emulator(request).scenarios.clear(organization)
    return ok({"cleared": organization or "all"})


async def unload(request: Request) -> Response:
    name = request.path_params["name"]
    if not emulator(request).scenarios.unload(name, _organization(request, {})):
        raise NotFoundError(f"No active scenario named {name!r}", param="name")
    return ok({"name": name, "deleted": True})


def routes() -> list[BaseRoute]:
    return [
        Route(PREFIX, list_active, methods=["GET"]),
        Route(PREFIX, load, methods=["POST"]),
        Route(PREFIX, clear, methods=["DELETE"]),
        Route(f"{PREFIX}/library", library, methods=["GET"]),
        Route(f"{PREFIX}/check", check, methods=["POST"]),
        Route(PREFIX + "/{name}", unload, methods=["DELETE"]),
    ]
