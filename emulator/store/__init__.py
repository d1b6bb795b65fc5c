"""Durable state (`--data-dir`): a journal of requests replayed on start, snapshots and fixtures."""

from __future__ import annotations

from .database import SCHEMA_VERSION, StoreError
from .recorder import Recorder, Store

__all__ = ["SCHEMA_VERSION", "Recorder", "Store", "StoreError"]
