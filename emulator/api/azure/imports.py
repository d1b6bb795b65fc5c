"""/openai/files/import: Azure's file import from a URL (`content_url`), answered 201 with a `pending` file.

Served on the core's `/v1/files/import` route (where the Azure dialect rewrites it); OpenAI has no such
endpoint, so an OpenAI organization calling it gets OpenAI's `Invalid URL`. What may be fetched is in
domain/azure_files.py.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...domain import azure_files, files
from ...errors import InvalidRequestError, invalid_url
from ...params import Param
from ..common import emulator, off_loop, ok, read_json, tenant

__all__ = ["routes"]

_SCHEMA = {
    "purpose": Param("string", required=True, nullable=False),
    "filename": Param("string", required=True, nullable=False),
    "content_url": Param("string", required=True, nullable=False),
}
_FAILED = "The file could not be imported from content_url."


async def import_file(request: Request) -> Response:
    em, owner = emulator(request), tenant(request)
    if owner.dialect != "azure":
        raise invalid_url(request.method, request.url.path)
    body = await read_json(request, _SCHEMA)
    purpose = files.check_purpose(body["purpose"])
    filename = str(body["filename"])
    files.check_filename(purpose, filename)
    url = azure_files.check_content_url(body["content_url"], em.settings.azure_import_hosts)
    blob = await off_loop(request, azure_files.fetch, url, em.blobs, em.settings.max_file_bytes)
    problem: str | None = _FAILED
    if blob is None:
        blob = em.blobs.from_bytes(b"")
    elif purpose == "fine-tune":
        problem = await off_loop(request, azure_files.jsonl_problem, blob)
    else:
        problem = None
    if not filename.strip():
        raise InvalidRequestError("Missing required parameter: 'filename'.", param="filename")
    record = files.create_file(owner, em.now(), filename=filename, purpose=purpose, blob=blob)
    azure_files.start_processing(owner, record, em.now(), problem)
    return ok(record.to_dict(), status=201)


def routes() -> list[BaseRoute]:
    return [Route("/v1/files/import", import_file, methods=["POST"])]
