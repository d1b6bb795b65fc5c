"""Azure's file lifecycle: an upload is processed on the clock, and files can be imported from a URL.

Azure OpenAI files report `uploaded | pending | running | processed | error | deleting | deleted`
(`status` of the dated spec's File, specification/cognitiveservices/data-plane/AzureOpenAI/authoring). A new
upload (or import) is `pending`, then `running` while the service checks it, then `processed`, or `error`
with `status_details` when the content is not JSON Lines; each stage lasts `STAGE_SECONDS` of emulator
time. Reads settle the status from the clock (`Tenant.settle`); on the auto clock, polling a file that is
still being processed moves the clock to its next stage, as polling a job does. A deleted file is gone at
once (the API answers `deleted: true`; `deleting`/`deleted` are never read back).

Imports (`POST /openai/files/import`, `content_url`): Azure fetches a blob URL; the emulator fetches only
`file://` paths and `http(s)://` on a loopback host, unless `Settings.azure_import_hosts` lists the host
(or is `*`), so a test can never reach out to the network by accident.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

from ..clock import advance_to
from ..errors import InvalidRequestError
from .blobs import Blob, BlobStore
from .files import FileRecord
from .jobs.polling import IDLE_READS, count_read

if TYPE_CHECKING:
    from .state import Emulator, Tenant

__all__ = [
    "STAGE_SECONDS",
    "check_content_url",
    "fetch",
    "jsonl_problem",
    "note_read",
    "settle_files",
    "start_processing",
]

STAGE_SECONDS = 5.0  # pending, then running, each this long; then processed (or error)
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def start_processing(tenant: Tenant, record: FileRecord, now: float, problem: str | None) -> None:
    """Mark a new file of an Azure resource `pending`, to be processed on the clock."""
    record.status = "pending"
    record.azure_stages = (now + STAGE_SECONDS, now + 2 * STAGE_SECONDS, problem)
    tenant.files_processing.append(record)


def _status(record: FileRecord, now: float) -> str:
    assert record.azure_stages is not None
    running_at, done_at, problem = record.azure_stages
    if now < running_at:
        return "pending"
    if now < done_at:
        return "running"
    return "error" if problem else "processed"


def settle_files(tenant: Tenant, now: float) -> None:
    """Bring the statuses of files still being processed up to `now`."""
    still: list[FileRecord] = []
    for record in tenant.files_processing:
        record.status = _status(record, now)
        if record.status in ("processed", "error"):
            assert record.azure_stages is not None
            record.status_details = record.azure_stages[2]
            record.azure_stages = None
        else:
            still.append(record)
    tenant.files_processing[:] = still


def note_read(em: Emulator, record: FileRecord, now: float) -> None:
    """Count a read of a file still being processed; on the auto clock the third read at one instant
    moves the clock to its next stage, so a polling loop ends."""
    if record.azure_stages is None:
        return
    reads = count_read(record, now)
    if getattr(em.clock, "mode", "") != "auto" or reads < IDLE_READS:
        return
    running_at, done_at, _ = record.azure_stages
    record.idle_reads = 0
    advance_to(em.clock, running_at if now < running_at else done_at)


def jsonl_problem(blob: Blob) -> str | None:
    """Why the content is not JSON Lines (one JSON object a line), or None."""
    seen = 0
    for number, raw in enumerate(blob.lines(), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except ValueError:
            return f"Invalid JSON on line {number}."
        if not isinstance(value, dict):
            return f"Line {number} is not a JSON object."
        seen += 1
    return None if seen else "The file is empty."


def check_content_url(url: object, allowed_hosts: tuple[str, ...]) -> str:
    """The URL to import from, or a 400 for one the emulator won't fetch."""
    if not isinstance(url, str) or not url:
        raise InvalidRequestError("Missing required parameter: 'content_url'.", param="content_url")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "file":
        return url
    host = (parts.hostname or "").lower()
    if parts.scheme in ("http", "https") and host and (_loopback(host) or "*" in allowed_hosts
                                                       or host in allowed_hosts):
        return url
    raise InvalidRequestError(
        f"The emulator imports only from file:// URLs and loopback http(s) hosts (not {host or url!r}); "
        "allow more hosts with the azure_import_hosts setting.",
        param="content_url",
    )


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch(url: str, blobs: BlobStore, max_bytes: int, timeout: float = 30.0) -> Blob | None:
    """The content at `url` as a blob, or None when it can't be read or is too large (the import then
    ends in `error`). Runs on a worker thread."""
    writer = blobs.writer()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - checked above
            while chunk := response.read(256 * 1024):
                writer.write(chunk)
                if writer.size > max_bytes:
                    writer.abort()
                    return None
    except (OSError, ValueError):
        writer.abort()
        return None
    return writer.finish()
