"""/v1/files: upload (multipart), list, retrieve, delete and download."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..domain import azure_files, files, lenient
from ..domain.blobs import CHUNK
from ..domain.state import Tenant
from ..errors import InvalidRequestError
from ..params import parse_query_int
from .common import emulator, off_loop, ok, page_params, tenant
from .forms import additional_properties, copy_to_blob, read_form

__all__ = ["routes"]

_FIELDS = ("file", "purpose", "expires_after[anchor]", "expires_after[seconds]")


async def create_file(request: Request) -> Response:
    em, owner = emulator(request), tenant(request)
    form = await read_form(
        request, max_bytes=em.settings.max_file_bytes, allowed=_FIELDS, unexpected=additional_properties
    )
    upload = form.get("file")
    purpose = form.get("purpose")
    request.state.journal_body = {
        "purpose": purpose,
        "file": {"filename": upload.filename, "bytes": upload.size} if isinstance(upload, UploadFile) else upload,
    }
    try:
        purpose = files.check_purpose(purpose if isinstance(purpose, str) else None)
        if not isinstance(upload, UploadFile):
            raise InvalidRequestError(
                "Missing required parameter: 'file'.", param="file", code="missing_required_parameter"
            )
        filename = upload.filename or "file"
        files.check_filename(purpose, filename)
        seconds = form.get("expires_after[seconds]")
        expires = files.check_expiry(
            _text(form.get("expires_after[anchor]")),
            None if seconds is None else parse_query_int(_text(seconds), "expires_after.seconds", default=0,
                                                         minimum=-(2**31), maximum=2**31),
        )
    except BaseException:
        await form.close()
        raise
    blob = await copy_to_blob(upload, em.blobs, em.settings.max_file_bytes)
    record = files.create_file(owner, em.now(), filename=filename, purpose=purpose, blob=blob, expires_after=expires)
    if owner.dialect == "azure":  # processed on the clock, its content checked as JSON Lines
        problem = await off_loop(request, azure_files.jsonl_problem, blob) if purpose == "fine-tune" else None
        azure_files.start_processing(owner, record, em.now(), problem)
    return ok(record.to_dict())


async def list_files(request: Request) -> Response:
    em, owner = emulator(request), tenant(request)
    params = page_params(request, default_limit=10_000, max_limit=10_000, orders=("desc", "asc"))
    page = files.list_files(owner, em.now(), purpose=request.query_params.get("purpose") or None, **params)
    return ok(page.to_dict(files.FileRecord.to_dict, cursors=True, empty_cursor=""))


def _owner(request: Request) -> Tenant:
    """The caller's tenant, with the path's file materialized first in lenient mode."""
    owner = tenant(request)
    lenient.ensure_file(emulator(request), owner, request.path_params["file_id"])
    return owner


async def retrieve_file(request: Request) -> Response:
    em, owner = emulator(request), _owner(request)
    record = files.get_file(owner, request.path_params["file_id"], em.now())
    if record.azure_stages is not None:
        azure_files.note_read(em, record, em.now())
        owner.settle(em.now())
    return ok(record.to_dict())


async def delete_file(request: Request) -> Response:
    return ok(files.delete_file(_owner(request), request.path_params["file_id"], emulator(request).now()))


async def file_content(request: Request) -> Response:
    record = files.get_file(_owner(request), request.path_params["file_id"], emulator(request).now())
    handle = record.blob.open()  # opened now: a delete from here on waits for this reader to finish
    return StreamingResponse(
        _stream(handle),
        media_type="application/octet-stream",
        headers={"content-length": str(record.bytes), "content-disposition": f'attachment; filename="{record.filename}"'},
    )


def _stream(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/files", create_file, methods=["POST"]),
        Route("/v1/files", list_files, methods=["GET"]),
        Route("/v1/files/{file_id}", retrieve_file, methods=["GET"]),
        Route("/v1/files/{file_id}", delete_file, methods=["DELETE"]),
        Route("/v1/files/{file_id}/content", file_content, methods=["GET"]),
    ]
