"""Dashboard pages for fine-tuning jobs: the filterable table, a job's detail (timeline, live events, loss
chart, checkpoints) and its actions, all through the jobs service the API uses."""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain import jobs
from ..domain.jobs import Job
from ..domain.state import Tenant
from ..errors import APIError, InvalidRequestError
from .chart import MAX_POINTS, loss_chart
from .web import emulator, page, render, tenant_of

__all__ = ["job_action", "job_live", "job_page", "jobs_page", "jobs_table"]

PAGE_SIZE = 25
STATUSES = ("validating_files", "queued", "running", "paused", "succeeded", "failed", "cancelled")
ACTIONS = ("cancel", "pause", "resume")
EVENTS_SHOWN = 50


def _filters(request: Request) -> dict[str, str]:
    query = request.query_params
    status = query.get("status", "")
    return {
        "status": status if status in STATUSES else "",
        "q": query.get("q", "").strip(),
        "after": query.get("after", ""),
    }


def _matches(job: Job, needle: str) -> bool:
    """Search by id, suffix, base model or metadata (`key=value`), case-insensitively. Only stored fields:
    a scan over 100k jobs must not derive names."""
    if needle in job.id.lower() or needle in (job.suffix or "").lower() or needle in job.model:
        return True
    return any(needle in f"{k}={v}".lower() for k, v in (job.metadata or {}).items())


def _table(request: Request, owner: Tenant) -> dict[str, Any]:
    """One page of the tenant's jobs, newest first: O(page) for plain pages; a filter scans only until the
    page is full."""
    now, store, filters = emulator(request).now(), owner.jobs, _filters(request)
    status, needle = filters["status"], filters["q"].lower()

    def wanted(job: Job) -> bool:
        return (not status or job.status(now) == status) and (not needle or _matches(job, needle))

    found = store.jobs.page(
        limit=PAGE_SIZE, after=filters["after"] or None, where=wanted if status or needle else None
    )
    rows = [(job, store.refresh(job, now).to_dict(now)) for job in found.data]
    return {
        "rows": rows,
        "has_more": found.has_more,
        "next_after": found.last_id,
        "filters": filters,
        "statuses": STATUSES,
        "total": len(store.jobs),
        "current": owner,
    }


@page
async def jobs_page(request: Request) -> Response:
    owner = tenant_of(request)
    return render(request, "jobs.html", **_table(request, owner))


@page
async def jobs_table(request: Request) -> Response:
    owner = tenant_of(request)
    return render(request, "_jobs_table.html", **_table(request, owner))


def _timeline(job: Job, now: float) -> list[dict[str, Any]]:
    """The statuses the job has passed through, in order, each with when it began."""
    out: list[dict[str, Any]] = []
    for segment in job.timeline.segments:
        if segment.start > now:
            break
        if not out or out[-1]["status"] != segment.phase:
            out.append({"status": segment.phase, "at": segment.start})
    terminal = job.timeline.terminal
    if terminal is not None and terminal.at <= now:
        out.append({"status": terminal.status, "at": terminal.at})
    return out


def _finite(t: float | None) -> float | None:
    return t if t is not None and math.isfinite(t) else None


def _chart_metrics(job: Job, now: float) -> tuple[list[dict[str, Any]], int]:
    """The metrics of every step done so far (thinned past MAX_POINTS), as the metrics events carry them."""
    done = job.timeline.steps_done(now)
    stride = max(1, -(-done // MAX_POINTS))
    steps = list(range(stride, done + 1, stride))
    if done and steps[-1] != done:
        steps.append(done)
    return [job.curve.metrics(k) for k in steps], stride


def _detail(request: Request, owner: Tenant, notice: str | None = None) -> dict[str, Any]:
    em = emulator(request)
    now = em.now()
    job = jobs.get_job(em, owner, request.path_params["job_id"], now)
    body = job.to_dict(now)
    metrics, stride = _chart_metrics(job, now)
    events_after = request.query_params.get("events_after") or None
    events = job.events_page(now, limit=EVENTS_SHOWN, after=events_after)
    files = {
        role: owner.files.get(file_id)
        for role, file_id in (
            ("training", job.training_file),
            ("validation", job.validation_file),
            ("results", job.result_file_id),
        )
        if file_id
    }
    return {
        "job": job,
        "body": body,
        "status": body["status"],
        "timeline": _timeline(job, now),
        "next_change": _finite(job.timeline.next_milestone(now)),
        "events": events.data,
        "events_after": events_after,
        "older_events": events.last_id if events.has_more else None,
        "event_count": job.event_count(now),
        "chart": loss_chart(metrics, job.curve.total_steps, stride),
        "latest": metrics[-1] if metrics else None,
        "checkpoints": job.checkpoints(now),
        "hyperparameters": job.hyperparameters(now),
        "requested": job.spec.requested(),
        "files": files,
        "refusals": {action: jobs.refusal(job, action, now) for action in ACTIONS},
        "policy": owner.jobs.policy_of(job),
        "notice": notice,
        "current": owner,
    }


@page
async def job_page(request: Request) -> Response:
    owner = tenant_of(request)
    return render(request, "job.html", **_detail(request, owner))


@page
async def job_live(request: Request) -> Response:
    owner = tenant_of(request)
    return render(request, "_job_live.html", **_detail(request, owner))


_DO = {"cancel": jobs.cancel_job, "pause": jobs.pause_job, "resume": jobs.resume_job}


@page
async def job_action(request: Request) -> Response:
    """Cancel, pause or resume through the same service calls as the API; a refusal shows its message."""
    owner, em = tenant_of(request), emulator(request)
    action = request.path_params["action"]
    if action not in _DO:
        raise InvalidRequestError(f"Unknown action {action!r}: use cancel, pause or resume.")
    notice = None
    try:
        _DO[action](em, owner, request.path_params["job_id"], em.now())
    except APIError as exc:
        if exc.status_code == 404:
            raise
        notice = exc.message
    template = "_job_live.html" if request.headers.get("hx-request") else "job.html"
    return render(request, template, **_detail(request, owner, notice))
