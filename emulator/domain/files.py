"""Files: upload, list, read, download and delete, with OpenAI's purposes, limits and expiry."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidRequestError, no_such_object
from ..ids import HEX
from .blobs import Blob
from .collection import Page

__all__ = ["CREATE_PURPOSES", "FileRecord", "add_file", "create_file", "delete_file", "get_file", "list_files"]

# Purposes a client may upload with (the spec's CreateFileRequest); results files are made by the emulator.
CREATE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
BATCH_EXPIRY_SECONDS = 30 * 86400
MIN_EXPIRY_SECONDS = 3600
MAX_EXPIRY_SECONDS = 2_592_000


@dataclass(slots=True)
class FileRecord:
    id: str
    bytes: int
    created_at: int
    filename: str
    purpose: str
    blob: Blob = field(repr=False)
    expires_at: int | None = None
    status: str = "processed"
    status_details: str | None = None  # why an Azure file ended in `error`
    # Azure processing on the clock (domain/azure_files.py): when it runs, when it ends, what it finds.
    azure_stages: tuple[float, float, str | None] | None = None
    read_at: float | None = None  # polling bookkeeping for the auto clock, as for jobs
    idle_reads: int = 0

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "object": "file",
            "id": self.id,
            "purpose": self.purpose,
            "filename": self.filename,
            "bytes": self.bytes,
            "created_at": self.created_at,
        }
        if self.expires_at is not None:  # the spec types it as an integer, so it is left out, not null
            body["expires_at"] = self.expires_at
        body["status"] = self.status
        if self.status_details is not None:
            body["status_details"] = self.status_details
        return body

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at


def check_purpose(purpose: str | None) -> str:
    if purpose is None or purpose == "":
        raise InvalidRequestError(
            "Missing required parameter: 'purpose'.", param="purpose", code="missing_required_parameter"
        )
    if purpose not in CREATE_PURPOSES:
        listed = ", ".join(f"'{p}'" for p in CREATE_PURPOSES[:-1]) + f", and '{CREATE_PURPOSES[-1]}'"
        raise InvalidRequestError(
            f"Invalid value: '{purpose}'. Supported values are: {listed}.", param="purpose", code="invalid_value"
        )
    return purpose


def check_expiry(anchor: str | None, seconds: int | None) -> int | None:
    """`expires_after[anchor]` must be `created_at` and `[seconds]` between 1 hour and 30 days."""
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise InvalidRequestError(
            f"Invalid value: '{anchor}'. Supported values are: 'created_at'.",
            param="expires_after.anchor",
            code="invalid_value",
        )
    if seconds is None:
        raise InvalidRequestError(
            "Missing required parameter: 'expires_after.seconds'.",
            param="expires_after.seconds",
            code="missing_required_parameter",
        )
    if seconds < MIN_EXPIRY_SECONDS:
        raise InvalidRequestError(
            f"Invalid 'expires_after.seconds': integer below minimum value. Expected a value >= "
            f"{MIN_EXPIRY_SECONDS}, but got {seconds} instead.",
            param="expires_after.seconds",
            code="integer_below_min_value",
        )
    if seconds > MAX_EXPIRY_SECONDS:
        raise InvalidRequestError(
            f"Invalid 'expires_after.seconds': integer above maximum value. Expected a value <= "
            f"{MAX_EXPIRY_SECONDS}, but got {seconds} instead.",
            param="expires_after.seconds",
            code="integer_above_max_value",
        )
    return seconds


def check_filename(purpose: str, filename: str) -> None:
    if purpose == "fine-tune" and not filename.lower().endswith(".jsonl"):
        raise InvalidRequestError("Invalid file format for Fine-Tuning API. Must be .jsonl", param="file")


def create_file(
    tenant: Any, now: float, *, filename: str, purpose: str, blob: Blob, expires_after: int | None = None
) -> FileRecord:
    """A client upload: purpose and name already checked by `check_purpose` / `check_filename`."""
    if expires_after is None and purpose == "batch":
        expires_after = BATCH_EXPIRY_SECONDS
    return add_file(tenant, now, filename=filename, purpose=purpose, blob=blob, expires_after=expires_after)


def add_file(
    tenant: Any, now: float, *, filename: str, purpose: str, blob: Blob, expires_after: int | None = None
) -> FileRecord:
    created = int(now)
    record = FileRecord(
        id=tenant.ids.new("file-", 32, HEX) if tenant.dialect == "azure" else tenant.ids.new("file-"),
        bytes=blob.size,
        created_at=created,
        filename=sys.intern(filename),  # many files share a name and every one a purpose: kept once
        purpose=sys.intern(purpose),
        blob=blob,
        expires_at=created + expires_after if expires_after else None,
    )
    tenant.files.add(record)
    return record


def get_file(tenant: Any, file_id: str, now: float, param: str = "id") -> FileRecord:
    record: FileRecord | None = tenant.files.get(file_id)
    if record is None or record.expired(now):
        raise no_such_object("File", file_id, param)
    return record


def list_files(
    tenant: Any, now: float, *, limit: int, order: str, after: str | None, purpose: str | None
) -> Page[FileRecord]:
    def visible(record: FileRecord) -> bool:
        return not record.expired(now) and (purpose is None or record.purpose == purpose)

    page: Page[FileRecord] = tenant.files.page(
        limit=limit, after=after, newest_first=order == "desc", where=visible
    )
    return page


def delete_file(tenant: Any, file_id: str, now: float) -> dict[str, Any]:
    record = get_file(tenant, file_id, now)
    tenant.files.remove(record.id)
    record.blob.discard()
    return {"id": record.id, "object": "file", "deleted": True}
