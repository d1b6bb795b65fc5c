"""Vendor OpenAI's OpenAPI spec into the package: the operations the emulator serves and what they reference.

Run after adding a route (or when OpenAI publishes a new spec):

    python scripts/vendor_contract.py [--spec ../shared/contract/openapi.yaml] [--date YYYY-MM-DD]

It lists every /v1 route of `create_app()`, finds each in the spec (parameter names may differ), keeps
those operations plus every component they reference (transitively), and writes
emulator/contract/openapi.json.gz (deterministic: same spec, same bytes). A served route the spec does
not describe must be declared in emulator/contract/departures.py (UNSPECIFIED_ROUTES), else this fails.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator.app import create_app  # noqa: E402
from emulator.contract.departures import UNSPECIFIED_ROUTES  # noqa: E402
from emulator.contract.spec import SPEC_FILE  # noqa: E402

DEFAULT_SPEC = ROOT.parent / "shared" / "contract" / "openapi.yaml"
OUT = ROOT / "emulator" / "contract" / SPEC_FILE
_KEEP_TOP = ("openapi", "info", "servers", "security")


def served_routes() -> list[tuple[str, str]]:
    """(METHOD, starlette template) of every /v1 route the app serves."""
    routes = []
    for route in create_app().routes:
        if isinstance(route, Route) and route.path.startswith("/v1/"):
            routes += [(method, route.path) for method in sorted((route.methods or set()) - {"HEAD"})]
    return routes


def shape(template: str) -> str:
    """A template with parameter names (and starlette converters) erased: /files/{}/content."""
    return re.sub(r"\{[^}]*\}", "{}", template)


def references(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for value in node.values():
            references(value, found)
    elif isinstance(node, list):
        for value in node:
            references(value, found)


def resolve(spec: dict[str, Any], pointer: str) -> Any:
    node: Any = spec
    for part in pointer.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def vendor(spec: dict[str, Any], routes: list[tuple[str, str]]) -> tuple[dict[str, Any], list[str]]:
    """The trimmed spec, and the routes that are neither in the spec nor declared as unspecified."""
    by_shape = {shape(template): template for template in spec["paths"]}
    paths: dict[str, dict[str, Any]] = {}
    missing = []
    for method, route in routes:
        template = by_shape.get(shape(route[3:]))
        operation = spec["paths"].get(template or "", {}).get(method.lower())
        if operation is None:
            if route not in UNSPECIFIED_ROUTES:
                missing.append(f"{method} {route}")
            continue
        item = paths.setdefault(template or "", {})
        if "parameters" in spec["paths"][template or ""]:
            item["parameters"] = spec["paths"][template or ""]["parameters"]
        item[method.lower()] = operation
    refs: set[str] = set()
    references(paths, refs)
    references(resolve(spec, "#/components/schemas/ErrorResponse"), refs)
    refs.add("#/components/schemas/ErrorResponse")
    done: set[str] = set()
    while refs - done:
        ref = min(refs - done)
        done.add(ref)
        references(resolve(spec, ref), refs)
    components: dict[str, dict[str, Any]] = {}
    for ref in sorted(done):
        _, _, kind, name = ref.split("/", 3)
        components.setdefault(kind, {})[name.replace("~1", "/").replace("~0", "~")] = resolve(spec, ref)
    if "securitySchemes" in spec.get("components", {}):
        components["securitySchemes"] = spec["components"]["securitySchemes"]
    trimmed = {key: spec[key] for key in _KEEP_TOP if key in spec}
    trimmed["paths"] = dict(sorted(paths.items()))
    trimmed["components"] = components
    return trimmed, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="OpenAI's openapi.yaml")
    parser.add_argument(
        "--date",
        help="the day the spec was taken from OpenAI, YYYY-MM-DD (default: the file's modification date)",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    raw = args.spec.read_bytes()
    spec = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    routes = served_routes()
    trimmed, missing = vendor(spec, routes)
    if missing:
        print(
            "served routes missing from the spec (add them to UNSPECIFIED_ROUTES with a reason):",
            file=sys.stderr,
        )
        print("\n".join(f"  {line}" for line in missing), file=sys.stderr)
        return 1
    date = args.date or datetime.date.fromtimestamp(args.spec.stat().st_mtime).isoformat()
    trimmed["x-emulator-vendored"] = {
        "source": "https://github.com/openai/openai-openapi (openapi.yaml)",
        "source_version": spec["info"]["version"],
        "retrieved": date,
        "source_sha256": hashlib.sha256(raw).hexdigest(),
        "operations": len([1 for item in trimmed["paths"].values() for k in item if k != "parameters"]),
    }
    data = json.dumps(trimmed, sort_keys=True, separators=(",", ":")).encode()
    args.out.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    operations = trimmed["x-emulator-vendored"]["operations"]
    components = sum(map(len, trimmed["components"].values()))
    print(
        f"wrote {args.out}: {operations} operations, {components} components, {len(data):,} bytes "
        f"({args.out.stat().st_size:,} gzipped); spec {spec['info']['version']} retrieved {date}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
