"""Stored file bytes: small blobs in memory, larger ones spooled to a private temporary directory."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
from collections.abc import Iterator
from typing import BinaryIO

__all__ = ["Blob", "BlobStore", "BlobWriter"]

CHUNK = 64 * 1024


class Blob:
    """Immutable bytes, either held in memory or in a file only this emulator knows about."""

    def __init__(self, size: int, md5: str, data: bytes | None = None, path: str | None = None) -> None:
        self.size = size
        self.md5 = md5
        self._data = data
        self._path = path

    @property
    def on_disk(self) -> bool:
        return self._path is not None

    def open(self) -> BinaryIO:
        if self._path is not None:
            return open(self._path, "rb")
        return io.BytesIO(self._data or b"")

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        with self.open() as handle:
            while chunk := handle.read(size):
                yield chunk

    def lines(self) -> Iterator[bytes]:
        """Line by line, never the whole blob at once."""
        with self.open() as handle:
            yield from handle

    def read(self) -> bytes:
        with self.open() as handle:
            return handle.read()

    def discard(self) -> None:
        if self._path is not None:
            try:
                os.unlink(self._path)
            except FileNotFoundError:
                pass
            self._path = None
        self._data = b""


class BlobWriter:
    """Accepts chunks; switches from memory to disk once the threshold is crossed."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self._buffer: io.BytesIO | None = io.BytesIO()
        self._file: BinaryIO | None = None
        self._path: str | None = None
        self._md5 = hashlib.md5()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._md5.update(chunk)
        if self._file is not None:
            self._file.write(chunk)
            return
        assert self._buffer is not None
        self._buffer.write(chunk)
        if self.size > self._store.threshold:
            fd, self._path = tempfile.mkstemp(dir=self._store.directory, suffix=".blob")
            self._file = os.fdopen(fd, "wb")
            self._file.write(self._buffer.getvalue())
            self._buffer = None

    def finish(self) -> Blob:
        if self._file is not None:
            self._file.close()
            return Blob(self.size, self._md5.hexdigest(), path=self._path)
        assert self._buffer is not None
        return Blob(self.size, self._md5.hexdigest(), data=self._buffer.getvalue())

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            if self._path:
                os.unlink(self._path)
        self._buffer = None


class BlobStore:
    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._lock = threading.Lock()

    @property
    def directory(self) -> str:
        with self._lock:
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="openai-emulator-")
            return self._tmp.name

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def from_bytes(self, data: bytes) -> Blob:
        writer = self.writer()
        writer.write(data)
        return writer.finish()

    def concat(self, parts: list[Blob]) -> Blob:
        writer = self.writer()
        for part in parts:
            for chunk in part.chunks():
                writer.write(chunk)
        return writer.finish()

    def close(self) -> None:
        with self._lock:
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None
