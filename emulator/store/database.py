"""The data directory: an append-only SQLite journal of the requests that shaped the state, plus blobs.

Why a journal and not tables of objects: the emulator is deterministic (same seed and the same requests at
the same clock times give the same state, byte for byte), so the inputs are a complete, compact and
version-independent description of the state, and replaying them through the same app rebuilds every
object, counter and clock-derived position exactly, without a second model of the state to keep in step.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = ["SCHEMA_VERSION", "BlobSink", "Entry", "JournalDB", "StoreError", "write_blob"]

SCHEMA_VERSION = 1
DB_NAME = "journal.sqlite3"
LOCK_NAME = "lock"
BLOB_DIR = "blobs"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    at REAL NOT NULL,            -- the emulator time the request observed
    kind TEXT NOT NULL,          -- 'http' (a request through the app) or 'op' (a test-handle operation)
    method TEXT NOT NULL,
    path TEXT NOT NULL,          -- for ops: the operation's name
    query BLOB NOT NULL,
    headers TEXT NOT NULL,       -- JSON [[name, value], ...] as sent (latin-1)
    body BLOB,                   -- inline body, or NULL when `blob` names a file under blobs/
    blob TEXT,                   -- sha256 of a large body
    disconnected INTEGER NOT NULL DEFAULT 0  -- the client went away before the answer started
);
"""
# Migrations from each older schema version to the next (index 0: version 0 -> 1 is the initial create).
_MIGRATIONS: tuple[str, ...] = (_SCHEMA,)


class StoreError(ValueError):
    """A data directory that can't be used as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Entry:
    seq: int
    at: float
    kind: str
    method: str
    path: str
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes | None
    blob: str | None
    disconnected: bool = False


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobSink:
    """Bytes on their way to `directory/<sha256>`: a temp file, fsynced, renamed, directory fsynced."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._digest = hashlib.sha256()
        fd, self._tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        self._handle: IO[bytes] = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self._digest.update(chunk)
        self._handle.write(chunk)

    def commit(self) -> str:
        try:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            name = self._digest.hexdigest()
            os.replace(self._tmp, self.directory / name)
        except BaseException:
            self.abort()
            raise
        _fsync_dir(self.directory)
        return name

    def abort(self) -> None:
        self._handle.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._tmp)


def write_blob(directory: Path, data: bytes) -> str:
    sink = BlobSink(directory)
    sink.write(data)
    return sink.commit()


class JournalDB:
    """One data directory, held exclusively by this process for as long as it is open."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.blob_dir = self.directory / BLOB_DIR
        self._lock_file: IO[str] | None = open(self.directory / LOCK_NAME, "a+")  # noqa: SIM115
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            self._lock_file = None
            raise StoreError(
                f"data directory {self.directory} is in use by another emulator process; stop it first "
                "or give this one its own --data-dir"
            ) from None
        self._lock_file.seek(0)
        self._lock_file.truncate()
        self._lock_file.write(f"{os.getpid()}\n")
        self._lock_file.flush()
        self._db = sqlite3.connect(self.directory / DB_NAME, check_same_thread=False, isolation_level=None)
        self._mutex = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._migrate()

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            self.close()
            raise StoreError(
                f"data directory {self.directory} was written by a newer emulator (store schema {version}; "
                f"this one reads up to {SCHEMA_VERSION}); upgrade the emulator or use another --data-dir"
            )
        for step in range(version, SCHEMA_VERSION):
            with self._transaction():
                for statement in _MIGRATIONS[step].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {step + 1}")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- metadata -------------------------------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        with self._mutex:
            rows = self._db.execute("SELECT key, value FROM meta").fetchall()
        return {key: json.loads(value) for key, value in rows}

    def set_meta(self, values: Mapping[str, Any]) -> None:
        with self._mutex, self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [(k, json.dumps(v, sort_keys=True)) for k, v in values.items()],
            )

    # -- entries --------------------------------------------------------------------------------------

    def append(self, entry: Entry) -> int:
        """Commit one entry durably (WAL, synchronous=FULL): once this returns, it survives a crash."""
        with self._mutex, self._transaction():
            cursor = self._db.execute(
                "INSERT INTO entries (at, kind, method, path, query, headers, body, blob, disconnected) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.at,
                    entry.kind,
                    entry.method,
                    entry.path,
                    entry.query,
                    json.dumps([[k.decode("latin-1"), v.decode("latin-1")] for k, v in entry.headers]),
                    entry.body,
                    entry.blob,
                    int(entry.disconnected),
                ),
            )
            return int(cursor.lastrowid or 0)

    def first(self) -> Entry | None:
        found = self.entries(limit=1)
        return found[0] if found else None

    def entries(self, limit: int = -1) -> list[Entry]:
        with self._mutex:
            rows = self._db.execute(
                "SELECT seq, at, kind, method, path, query, headers, body, blob, disconnected "
                "FROM entries ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            Entry(
                seq=row[0],
                at=row[1],
                kind=row[2],
                method=row[3],
                path=row[4],
                query=bytes(row[5]),
                headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in json.loads(row[6])],
                body=None if row[7] is None else bytes(row[7]),
                blob=row[8],
                disconnected=bool(row[9]),
            )
            for row in rows
        ]

    def compact(self, before: int) -> None:
        """Forget entries older than `before` (a full reset made them irrelevant)."""
        with self._mutex, self._transaction():
            self._db.execute("DELETE FROM entries WHERE seq < ?", (before,))

    def count(self) -> int:
        with self._mutex:
            return int(self._db.execute("SELECT count(*) FROM entries").fetchone()[0])

    def blob_path(self, digest: str) -> Path:
        return self.blob_dir / digest

    def close(self) -> None:
        with self._mutex:
            self._db.close()
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None
