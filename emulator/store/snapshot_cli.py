"""`emulator snapshot save|load FILE`: against a running server (`--url`) or a stopped one's `--data-dir`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_snapshot_command", "run_snapshot"]

DEFAULT_URL = "http://127.0.0.1:8000"


def add_snapshot_command(commands: Any) -> None:
    snapshot = commands.add_parser(
        "snapshot",
        help="save or load a world (all tenants or one) as one portable file",
        description="Save the state of a running emulator (or of a stopped one's --data-dir) to FILE, or "
        "replace it with FILE's. Loading replaces one tenant's state (or everyone's, for a snapshot of all).",
    )
    snapshot.add_argument("action", choices=["save", "load"])
    snapshot.add_argument("file", metavar="FILE")
    where = snapshot.add_mutually_exclusive_group()
    where.add_argument("--url", help=f"a running emulator (default {DEFAULT_URL})")
    where.add_argument("--data-dir", metavar="DIR", help="a stopped emulator's data directory")
    who = snapshot.add_mutually_exclusive_group()
    who.add_argument("--organization", help="save only this organization's state (org-…)")
    who.add_argument("--api-key", help="save only the state of this key's tenant")


def run_snapshot(args: argparse.Namespace) -> int:
    import httpx

    query = {k: v for k, v in (("organization", args.organization), ("api_key", args.api_key)) if v}
    try:
        with _client(args) as client:
            if args.action == "save":
                response = client.get("/_emulator/snapshot", params=query)
                if response.status_code == 200:
                    Path(args.file).write_bytes(response.content)
                    print(f"saved {len(response.content)} bytes to {args.file}")
                    return 0
            else:
                response = client.put("/_emulator/snapshot", content=Path(args.file).read_bytes())
                if response.status_code == 200:
                    loaded = response.json()
                    print(
                        f"loaded {args.file}: {loaded['entries']} requests replayed "
                        f"for {loaded['organization']}"
                    )
                    return 0
    except (OSError, ValueError, httpx.HTTPError) as exc:
        print(f"emulator snapshot: {exc}", file=sys.stderr)
        return 1
    message = response.json().get("error", {}).get("message", response.text)
    print(f"emulator snapshot: {message}", file=sys.stderr)
    return 1


def _client(args: argparse.Namespace) -> Any:
    """An HTTP client for the server, or for an app opened on the data directory (locked while in use)."""
    import httpx

    if not args.data_dir:
        return httpx.Client(base_url=args.url or DEFAULT_URL, timeout=300)
    from starlette.testclient import TestClient

    from ..app import create_app
    from ..settings import Settings
    from .database import JournalDB

    directory = Path(args.data_dir)
    if not (directory / "journal.sqlite3").exists():
        raise ValueError(f"{directory} is not an emulator data directory")
    db = JournalDB(directory)  # refuses while a server holds it
    try:
        recorded = db.meta().get("settings") or {}
    finally:
        db.close()
    settings = Settings.build(**recorded, data_dir=str(directory))
    return TestClient(create_app(settings), base_url="http://emulator")
