"""Dashboard pages for files: the list, a JSONL preview with the validator's findings and token counts, and
the download, through the files service and the validator the jobs use."""

from __future__ import annotations

import itertools
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..domain import files
from ..domain.files import FileRecord
from ..domain.jobs import FileAnalysis, analyze
from ..domain.jobs.catalog import lookup_base
from ..domain.models import BASE_MODELS
from .web import emulator, page, render, tenant_of

__all__ = ["file_download", "file_page", "files_page"]

PAGE_SIZE = 50
PREVIEW_LINES = 20
PREVIEW_CHARS = 1500
DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"
PURPOSES = ("fine-tune", "fine-tune-results", "batch", "assistants", "vision", "user_data", "evals")


@page
async def files_page(request: Request) -> Response:
    owner, now = tenant_of(request), emulator(request).now()
    purpose = request.query_params.get("purpose") or None
    after = request.query_params.get("after") or None
    found = files.list_files(owner, now, limit=PAGE_SIZE, order="desc", after=after, purpose=purpose)
    return render(
        request,
        "files.html",
        current=owner,
        files=found.data,
        has_more=found.has_more,
        next_after=found.last_id,
        purpose=purpose or "",
        purposes=PURPOSES,
        total=len(owner.files),
    )


def _preview(record: FileRecord, model: str) -> tuple[list[dict[str, Any]], FileAnalysis | None, bool]:
    """The first lines of the file, each with its findings and token count, and the whole file's analysis.
    Runs in a worker thread: the analysis reads the whole file."""
    lines = list(itertools.islice(record.blob.lines(), PREVIEW_LINES + 1))
    more = len(lines) > PREVIEW_LINES
    report = analyze(record.blob.lines(), model) if record.purpose == "fine-tune" else None
    problems = {p.line: p for p in report.problems} if report is not None else {}
    counts = iter(report.example_tokens(PREVIEW_LINES) if report is not None else [])
    rows = []
    for number, raw in enumerate(lines[:PREVIEW_LINES], start=1):
        text = raw.decode("utf-8", "replace").rstrip("\r\n")
        problem = problems.get(number)
        fine = report is not None and not report.format_mismatch and problem is None and text.strip() != ""
        rows.append(
            {
                "number": number,
                "text": text[:PREVIEW_CHARS] + ("…" if len(text) > PREVIEW_CHARS else ""),
                "problem": problem,
                "tokens": next(counts, None) if fine else None,
            }
        )
    return rows, report, more


@page
async def file_page(request: Request) -> Response:
    owner, now = tenant_of(request), emulator(request).now()
    record = files.get_file(owner, request.path_params["file_id"], now)
    model = request.query_params.get("model") or DEFAULT_MODEL
    if lookup_base(model) is None:
        model = DEFAULT_MODEL
    rows, report, more = await run_in_threadpool(_preview, record, model)
    fine_tunable = sorted(m.id for m in BASE_MODELS.values() if lookup_base(m.id) is not None)
    used_by = [job for job in owner.jobs.jobs if record.id in (job.training_file, job.validation_file)][:20]
    return render(
        request,
        "file.html",
        current=owner,
        file=record,
        rows=rows,
        report=report,
        more=more,
        model=model,
        models=fine_tunable,
        used_by=used_by,
    )


@page
async def file_download(request: Request) -> Response:
    """The file's bytes, as GET /v1/files/{id}/content gives them."""
    owner, now = tenant_of(request), emulator(request).now()
    record = files.get_file(owner, request.path_params["file_id"], now)
    return StreamingResponse(
        record.blob.chunks(),
        media_type="application/octet-stream",
        headers={
            "content-length": str(record.bytes),
            "content-disposition": f'attachment; filename="{record.filename}"',
        },
    )
