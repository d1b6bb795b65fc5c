"""Multipart bodies read as they stream, refused as soon as they pass the size limit."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.types import Message

from ..domain.blobs import Blob, BlobStore
from ..errors import InvalidRequestError, PayloadTooLargeError, payload_too_large

__all__ = ["additional_properties", "copy_to_blob", "read_form", "too_large", "unrecognized"]

# Room for boundaries and the small text fields around the file itself.
_FORM_OVERHEAD = 64 * 1024


def too_large(limit: int, seen: int) -> PayloadTooLargeError:
    return payload_too_large(limit, seen)


def unrecognized(keys: list[str]) -> InvalidRequestError:
    return InvalidRequestError(f"Unrecognized request argument supplied: {keys[0]}")


def additional_properties(keys: list[str]) -> InvalidRequestError:
    """POST /v1/files names every unexpected multipart field, e.g. a JSON-valued `expires_after` part
    (openai/openai-ruby#212, vercel/ai#18224)."""
    quoted = ", ".join(f"'{key}'" for key in keys)
    return InvalidRequestError(
        f"Additional properties are not allowed ({quoted} {'was' if len(keys) == 1 else 'were'} unexpected)"
    )


async def read_form(
    request: Request,
    *,
    max_bytes: int,
    allowed: tuple[str, ...],
    unexpected: Callable[[list[str]], InvalidRequestError] = unrecognized,
) -> FormData:
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
    extra = [key for key in dict.fromkeys(form.keys()) if key not in allowed]
    if extra:
        await form.close()
        raise unexpected(extra)
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
