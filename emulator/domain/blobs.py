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
    """Immutable bytes, either held in memory or in a file only this emulator knows about.

    Readers hold the bytes: `open()` (and `hold()`) count as references, and `discard()` only marks the
    blob; its bytes go once the last reference is released. So a download racing a delete sends the whole
    file, and a fine-tuned model keeps what it learned after its training file is deleted.
    """

    __slots__ = ("_data", "_digest", "_discarded", "_lock", "_path", "_references", "size")

    def __init__(self, size: int, md5: str, data: bytes | None = None, path: str | None = None) -> None:
        self.size = size
        self._digest = bytes.fromhex(md5)  # 16 bytes kept, not 32 hex characters
        self._data = data
        self._path = path
        self._references = 0
        self._discarded = False
        self._lock = threading.Lock()  # guards the reference count (see `shared`)

    def shared(self, lock: threading.Lock) -> Blob:
        """This blob, counting its readers under `lock` (held for a few instructions at a time), which a
        store's blobs share rather than keep a lock each."""
        self._lock = lock
        return self

    @property
    def md5(self) -> str:
        """The content's MD5, as lowercase hex."""
        return self._digest.hex()

    @property
    def on_disk(self) -> bool:
        return self._path is not None

    def open(self) -> BinaryIO:
        """A reader that keeps the bytes alive until it is closed."""
        self.hold()
        try:
            if self._path is not None:
                return io.BufferedReader(_HeldFile(self._path, self), CHUNK)
            return _HeldBytes(self._data or b"", self)
        except BaseException:
            self.release()
            raise

    def hold(self) -> None:
        """Keep the bytes alive (across a `discard`) until `release`."""
        with self._lock:
            if self._discarded and self._references == 0:
                raise FileNotFoundError("the blob has been discarded")
            self._references += 1

    def release(self) -> None:
        with self._lock:
            self._references -= 1
            gone = self._discarded and self._references == 0
        if gone:
            self._remove()

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
        """Forget the bytes once no reader holds them any more."""
        with self._lock:
            if self._discarded:
                return
            self._discarded = True
            gone = self._references == 0
        if gone:
            self._remove()

    def _remove(self) -> None:
        if self._path is not None:
            try:
                os.unlink(self._path)
            except FileNotFoundError:
                pass
            self._path = None
        self._data = b""


class _HeldFile(io.FileIO):
    """A spooled blob's file, opened by one reader; closing it releases the reader's reference."""

    def __init__(self, path: str, blob: Blob) -> None:
        super().__init__(path, "rb")
        self._blob: Blob | None = blob

    def close(self) -> None:
        super().close()
        blob, self._blob = self._blob, None
        if blob is not None:
            blob.release()


class _HeldBytes(io.BytesIO):
    """An in-memory blob's bytes, read by one reader; closing releases the reader's reference."""

    def __init__(self, data: bytes, blob: Blob) -> None:
        super().__init__(data)
        self._blob: Blob | None = blob

    def close(self) -> None:
        super().close()
        blob, self._blob = self._blob, None
        if blob is not None:
            blob.release()


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
            return Blob(self.size, self._md5.hexdigest(), path=self._path).shared(self._store.references)
        assert self._buffer is not None
        blob = Blob(self.size, self._md5.hexdigest(), data=self._buffer.getvalue())
        return blob.shared(self._store.references)

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
        self.references = threading.Lock()  # what the store's blobs count their readers under

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
