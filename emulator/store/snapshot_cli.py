"""placeholder"""
from __future__ import annotations
from typing import Any
import argparse
def add_snapshot_command(commands: Any) -> None:
    pass
def run_snapshot(args: argparse.Namespace) -> int:
    return 0
