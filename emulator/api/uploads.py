"""/v1/uploads: create an Upload, add Parts (multipart), complete it into a File, or cancel it."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain import files, uploads
from ..domain.blobs import Blob, BlobStore
from ..errors import InvalidRequestError
from ..params import Param
from .common import emulator, ok, read_json, tenant
from .forms import copy_to_blob, read_form, too_large

__all__ = ["routes"]


def _expiry(value: dict[str, Any], path: str) -> int | None:
    return files.check_expiry(value["anchor"], value["seconds"])


def _create_schema(max_bytes: int) -> dict[str, Param]:
    return {
        "filename": Param("string", required=True, nullable=False),
        "purpose": Param("string", required=True, nullable=False, enum=uploads.PURPOSES),
        "bytes": Param("integer", required=True, nullable=False, minimum=0, maximum=max_bytes),
        "mime_type": Param("string", required=True, nullable=False),
        "expires_after": Param(
            "object",
            fields={"anchor": Param("string", required=True), "seconds": Param("integer", required=True)},
            check=_expiry,
        ),
    }


_COMPLETE_SCHEMA = {
    "part_ids": Param("array", required=True, nullable=False, items=Param("string", nullable=False)),
    "md5": Param("string"),
}


async def create_upload(request: Request) -> Response:
    em, owner = emulator(request), tenant(request)
    body = await read_json(request, _create_schema(em.settings.max_upload_bytes))
    record = uploads.create_upload(
        owner,
        em.now(),
        filename=body["filename"],
        purpose=body["purpose"],
        bytes=body["bytes"],
        mime_type=body["mime_type"],
        expires_after=body.get("expires_after"),
    )
    return ok(record.to_dict(em.now()))


async def add_part(request: Request) -> Response:
    em, owner = emulator(request), tenant(request)
    upload_id = request.path_params["upload_id"]
    uploads.check_accepts_parts(uploads.get_upload(owner, upload_id), em.now())
    limit = em.settings.max_part_bytes
    form = await read_form(request, max_bytes=limit, allowed=("data",))
    data = form.get("data")
    request.state.journal_body = {
        "data": {"bytes": data.size if isinstance(data, UploadFile) else len(data or "")}
    }
    if isinstance(data, UploadFile):
        blob = await copy_to_blob(data, em.blobs, limit)
    elif isinstance(data, str):  # `curl -F data=...` sends the chunk as a plain field
        blob = _text_blob(data, em.blobs, limit)
    else:
        raise InvalidRequestError(
            "Missing required parameter: 'data'.", param="data", code="missing_required_parameter"
        )
    part = uploads.add_part(owner, upload_id, em.now(), blob, max_upload_bytes=em.settings.max_upload_bytes)
    return ok(part.to_dict())


async def complete_upload(request: Request) -> Response:
    em, owner = emulator(request), tenant(request)
    body = await read_json(request, _COMPLETE_SCHEMA)
    record = await run_in_threadpool(
        uploads.complete_upload,
        owner,
        request.path_params["upload_id"],
        em.now(),
        em.blobs,
        part_ids=body["part_ids"],
        md5=body.get("md5"),
    )
    return ok(record.to_dict(em.now()))


async def cancel_upload(request: Request) -> Response:
    em, owner = emulator(request), tenant(request)
    record = uploads.cancel_upload(owner, request.path_params["upload_id"], em.now())
    return ok(record.to_dict(em.now()))


def _text_blob(text: str, blobs: BlobStore, limit: int) -> Blob:
    data = text.encode()
    if len(data) > limit:
        raise too_large(limit, len(data))
    return blobs.from_bytes(data)


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/uploads", create_upload, methods=["POST"]),
        Route("/v1/uploads/{upload_id}/parts", add_part, methods=["POST"]),
        Route("/v1/uploads/{upload_id}/complete", complete_upload, methods=["POST"]),
        Route("/v1/uploads/{upload_id}/cancel", cancel_upload, methods=["POST"]),
    ]
