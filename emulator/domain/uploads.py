"""Uploads: a large file sent as Parts, joined in a chosen order into one File on completion."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequestError, no_such_object
from . import files
from .blobs import Blob, BlobStore
from .files import FileRecord

if TYPE_CHECKING:
    from .state import Tenant

__all__ = [
    "LIFETIME_SECONDS",
    "PURPOSES",
    "PartRecord",
    "UploadRecord",
    "add_part",
    "cancel_upload",
    "check_accepts_parts",
    "complete_upload",
    "create_upload",
    "get_upload",
]

# The spec's CreateUploadRequest purposes (narrower than what POST /files accepts).
PURPOSES = ("assistants", "batch", "fine-tune", "vision")
LIFETIME_SECONDS = 3600

# Stored states. "expired" is never stored: a pending Upload reads as expired once the clock passes
# expires_at.
PENDING = "pending"  # accepting Parts
COMPLETED = "completed"  # joined into `file`; its Parts are gone
CANCELLED = "cancelled"  # abandoned by the client; its Parts are gone
EXPIRED = "expired"  # pending past expires_at; its Parts are dropped the next time the Upload is touched


@dataclass
class PartRecord:
    id: str
    upload_id: str
    created_at: int
    blob: Blob = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "upload.part",
            "created_at": self.created_at,
            "upload_id": self.upload_id,
        }


@dataclass
class UploadRecord:
    id: str
    bytes: int
    created_at: int
    expires_at: int
    filename: str
    purpose: str
    mime_type: str
    # `expires_after[seconds]` for the File made on completion (the Upload itself always lives one hour).
    file_expires_after: int | None = None
    state: str = PENDING
    file: FileRecord | None = None
    parts: dict[str, PartRecord] = field(default_factory=dict, repr=False)
    # True while complete() joins the Parts outside the lock; Parts, cancel and a second complete wait out.
    completing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def status(self, now: float) -> str:
        if self.state == PENDING and now >= self.expires_at and not self.completing:
            return EXPIRED
        return self.state

    def received(self) -> int:
        return sum(part.blob.size for part in self.parts.values())

    def to_dict(self, now: float) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "upload",
            "bytes": self.bytes,
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": self.status(now),
            "expires_at": self.expires_at,
        }
        if self.file is not None:  # the spec's `file` is an object; it is left out until there is one
            body["file"] = self.file.to_dict()
        return body

    def discard_parts(self) -> None:
        for part in self.parts.values():
            part.blob.discard()
        self.parts.clear()


def create_upload(
    tenant: Tenant,
    now: float,
    *,
    filename: str,
    purpose: str,
    bytes: int,
    mime_type: str,
    expires_after: int | None = None,
) -> UploadRecord:
    """A new pending Upload; arguments already validated except the fine-tune filename rule."""
    try:
        files.check_filename(purpose, filename)
    except InvalidRequestError as exc:
        exc.param = "filename"
        raise
    _sweep_expired(tenant, now)
    created = int(now)
    record = UploadRecord(
        id=tenant.ids.new("upload_"),
        bytes=bytes,
        created_at=created,
        expires_at=created + LIFETIME_SECONDS,
        filename=filename,
        purpose=purpose,
        mime_type=mime_type,
        file_expires_after=expires_after,
    )
    tenant.uploads.add(record)
    return record


def get_upload(tenant: Tenant, upload_id: str) -> UploadRecord:
    record: UploadRecord | None = tenant.uploads.get(upload_id)
    if record is None:
        raise no_such_object("Upload", upload_id)
    return record


def check_accepts_parts(record: UploadRecord, now: float) -> None:
    """Raise unless Parts may be added now; checked before the body is read and again after."""
    with record.lock:
        _require_pending(record, now, "parts")


def add_part(tenant: Tenant, upload_id: str, now: float, blob: Blob, *, max_upload_bytes: int) -> PartRecord:
    """Attach a stored chunk to a pending Upload; on any refusal the chunk is discarded."""
    try:
        record = get_upload(tenant, upload_id)
        with record.lock:
            _require_pending(record, now, "parts")
            received = record.received()
            if received + blob.size > max_upload_bytes:
                raise InvalidRequestError(
                    f"Upload {record.id} already holds {received} bytes; this Part of {blob.size} bytes "
                    f"would exceed the maximum of {max_upload_bytes} bytes for an Upload.",
                    param="data",
                )
            part = PartRecord(id=tenant.ids.new("part_"), upload_id=record.id, created_at=int(now), blob=blob)
            record.parts[part.id] = part
            return part
    except BaseException:
        blob.discard()
        raise


def complete_upload(
    tenant: Tenant,
    upload_id: str,
    now: float,
    blobs: BlobStore,
    *,
    part_ids: list[str],
    md5: str | None = None,
) -> UploadRecord:
    """Join the named Parts in order into a new File. Slow for big Uploads: call it off the event loop."""
    record = get_upload(tenant, upload_id)
    with record.lock:
        _require_pending(record, now, "complete")
        chosen = _chosen_parts(record, part_ids)
        total = sum(part.blob.size for part in chosen)
        if total != record.bytes:
            raise InvalidRequestError(
                f"The Parts in part_ids add up to {total} bytes, but Upload {record.id} was created with "
                f"bytes={record.bytes}. The total must match exactly.",
                param="part_ids",
            )
        record.completing = True
    try:
        joined = blobs.concat([part.blob for part in chosen])
    except BaseException:
        with record.lock:
            record.completing = False
        raise
    with record.lock:
        record.completing = False
        if md5 is not None and joined.md5 != md5.lower():
            joined.discard()
            raise InvalidRequestError(
                f"The md5 checksum you gave ({md5}) does not match the md5 checksum of the uploaded bytes "
                f"({joined.md5}).",
                param="md5",
            )
        record.file = files.create_file(
            tenant,
            now,
            filename=record.filename,
            purpose=record.purpose,
            blob=joined,
            expires_after=record.file_expires_after,
        )
        record.state = COMPLETED
        record.discard_parts()
    return record


def cancel_upload(tenant: Tenant, upload_id: str, now: float) -> UploadRecord:
    record = get_upload(tenant, upload_id)
    with record.lock:
        _require_pending(record, now, "cancel")
        record.state = CANCELLED
        record.discard_parts()
    return record


def _chosen_parts(record: UploadRecord, part_ids: list[str]) -> list[PartRecord]:
    chosen: list[PartRecord] = []
    seen: set[str] = set()
    for index, part_id in enumerate(part_ids):
        if part_id in seen:
            raise InvalidRequestError(
                f"Part {part_id} appears more than once in part_ids; each Part can be used only once.",
                param=f"part_ids[{index}]",
            )
        part = record.parts.get(part_id)
        if part is None:
            raise InvalidRequestError(
                f"No such Part in Upload {record.id}: {part_id}", param=f"part_ids[{index}]"
            )
        seen.add(part_id)
        chosen.append(part)
    return chosen


_ACTIONS = {
    "parts": ("add Parts to", "Parts can only be added to a pending Upload"),
    "complete": ("complete", "only a pending Upload can be completed"),
    "cancel": ("cancel", "only a pending Upload can be cancelled"),
}


def _require_pending(record: UploadRecord, now: float, action: str) -> None:
    verb, rule = _ACTIONS[action]
    if record.completing:
        raise InvalidRequestError(f"Cannot {verb} Upload {record.id} because it is already being completed.")
    status = record.status(now)
    if status == EXPIRED and record.parts:
        record.discard_parts()
    if status != PENDING:
        raise InvalidRequestError(
            f"Cannot {verb} Upload {record.id} because its status is '{status}'; {rule}."
        )


def _sweep_expired(tenant: Tenant, now: float) -> None:
    """Free the Parts of Uploads that expired untouched, so abandoned Uploads don't hold disk forever."""
    for record in tenant.uploads:
        if record.parts and record.status(now) == EXPIRED and record.lock.acquire(blocking=False):
            try:
                if record.status(now) == EXPIRED:
                    record.discard_parts()
            finally:
                record.lock.release()
