"""Multipart bodies read as they stream, refused as soon as they pass the size limit."""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.types import Message

from ..domain.blobs import Blob, BlobStore
from ..errors import InvalidRequestError, PayloadTooLargeError

__all__ = ["copy_to_blob", "read_form", "too_large"]

# Room for boundaries and the small text fields around the file itself.
_FORM_OVERHEAD = 64 * 1024


def too_large(limit: int, seen: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"Maximum content size limit ({limit}) exceeded ({seen} bytes read)")


async def read_form(request: Request, *, max_bytes: int, allowed: tuple[str, ...]) -> FormData:
    """Parse the multipart body, counting bytes as they arrive; unknown fields are a 400."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + _FORM_OVERHEAD:
        raise too_large(max_bytes, int(declared))
    seen = 0
    receive = request.receive

    async def counting_receive() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > max_bytes + _FORM_OVERHEAD:
            raise too_large(max_bytes, seen)
        return message

    counted = Request(request.scope, counting_receive)
    form = await counted.form(max_files=1, max_fields=len(allowed) + 4)
    for key in form.keys():
        if key not in allowed:
            await form.close()
            raise InvalidRequestError(f"Unrecognized request argument supplied: {key}")
    return form


async def copy_to_blob(upload: UploadFile, blobs: BlobStore, max_bytes: int) -> Blob:
    writer = blobs.writer()
    try:
        while chunk := await upload.read(256 * 1024):
            writer.write(chunk)
            if writer.size > max_bytes:
                raise too_large(max_bytes, writer.size)
    except BaseException:
        writer.abort()
        raise
    finally:
        await upload.close()
    return writer.finish()
