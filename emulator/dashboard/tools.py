"""Dashboard pages for the emulator's own powers: tenants, the clock, scenarios and the request journal,
through the same emulator, clock and scenario-engine calls as the control API."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..domain.journal import JournalEntry
from ..durations import parse_duration
from ..errors import InvalidRequestError, NotFoundError
from ..scenarios import ScenarioError, list_library
from .web import emulator, page, render, tenant_of, url

__all__ = [
    "advance_clock",
    "clock_widget",
    "disable_scenario",
    "enable_scenario",
    "home",
    "journal_page",
    "scenarios_page",
    "set_clock",
    "switch_tenant",
]

JOURNAL_SHOWN = 200
NEXT_EVENT_MARGIN = 0.001  # land just past the change, so the new status is visible


@page
async def home(request: Request) -> Response:
    base = f"{request.url.scheme}://{request.url.netloc}/v1"
    return render(request, "home.html", base_url=base)


@page
async def switch_tenant(request: Request) -> Response:
    org = request.query_params.get("org", "")
    if emulator(request).find_tenant(org) is None:
        raise NotFoundError(f"No organization {org!r} has called the emulator yet.")
    return RedirectResponse(url(f"/o/{org}/jobs"), status_code=303)


# -- clock -----------------------------------------------------------------------------------------------


def _clock(request: Request, error: str | None = None, moved: bool = False) -> Response:
    response = render(request, "_clock.html", error=error)
    if moved:
        response.headers["hx-trigger"] = "clock-moved"  # live panels refresh at once
    return response


@page
async def clock_widget(request: Request) -> Response:
    return _clock(request)


@page
async def advance_clock(request: Request) -> Response:
    """Advance by a duration (`30s`, `5m`, `1h30m`) or to the next job status change."""
    em = emulator(request)
    form = await request.form()
    if form.get("to") == "next":
        upcoming = em.next_event()
        if upcoming is None:
            return _clock(request, error="No job will change status by itself: nothing to advance to.")
        em.clock.advance(max(0.0, upcoming - em.now()) + NEXT_EVENT_MARGIN)
        return _clock(request, moved=True)
    try:
        seconds = parse_duration(str(form.get("duration", "")).strip())
    except ValueError as exc:
        return _clock(request, error=str(exc))
    em.clock.advance(seconds)
    return _clock(request, moved=True)


@page
async def set_clock(request: Request) -> Response:
    """Pause (a virtual clock stopped at the current time), resume (a real one from there) or change speed."""
    em = emulator(request)
    form = await request.form()
    mode = str(form.get("mode") or em.clock.mode)
    if mode not in ("virtual", "real"):
        raise InvalidRequestError(f"Invalid value: '{mode}'. Supported values are: 'real' and 'virtual'.")
    raw_speed = str(form.get("speed") or "").strip()
    try:
        speed = float(raw_speed) if raw_speed else None
    except ValueError:
        return _clock(request, error=f"Speed must be a number, not {raw_speed!r}.")
    if speed is not None and not 0 < speed <= 1_000_000:
        return _clock(request, error="Speed must be above 0 and at most 1000000.")
    em.set_clock(mode, speed)
    return _clock(request, moved=True)


# -- scenarios -------------------------------------------------------------------------------------------


def _scenarios(request: Request, error: str | None = None) -> Response:
    owner, em = tenant_of(request), emulator(request)
    active = em.scenarios.describe(owner.organization.id)
    names = {s["name"] for s in active}
    library = [e for e in list_library(em.settings.scenario_dir or None)]
    template = "_scenarios.html" if request.headers.get("hx-request") else "scenarios.html"
    return render(request, template, current=owner, active=active, library=library, names=names, error=error)


@page
async def scenarios_page(request: Request) -> Response:
    return _scenarios(request)


@page
async def enable_scenario(request: Request) -> Response:
    owner, em = tenant_of(request), emulator(request)
    name = str((await request.form()).get("name", ""))
    try:
        scenario = em.scenarios.find(name, owner.organization.id)
    except KeyError:
        return _scenarios(request, error=f"No scenario named {name!r}")
    except ScenarioError as exc:
        return _scenarios(request, error=str(exc))
    em.scenarios.load(scenario, owner.organization.id)
    return _scenarios(request)


@page
async def disable_scenario(request: Request) -> Response:
    owner, em = tenant_of(request), emulator(request)
    name = str((await request.form()).get("name", ""))
    if not em.scenarios.unload(name, owner.organization.id):
        return _scenarios(request, error=f"No active scenario named {name!r} for this organization.")
    return _scenarios(request)


# -- journal ---------------------------------------------------------------------------------------------


@page
async def journal_page(request: Request) -> Response:
    query = request.query_params
    filters = {k: query.get(k, "").strip() for k in ("org", "method", "path", "status")}

    def wanted(entry: JournalEntry) -> bool:
        return (
            (not filters["org"] or entry.organization == filters["org"])
            and (not filters["method"] or entry.method == filters["method"].upper())
            and (not filters["path"] or filters["path"] in entry.path)
            and (not filters["status"] or str(entry.status).startswith(filters["status"]))
        )

    entries = emulator(request).journal.recent(JOURNAL_SHOWN, wanted)
    current = emulator(request).find_tenant(filters["org"]) if filters["org"] else None
    template = "_journal.html" if request.headers.get("hx-request") else "journal.html"
    return render(request, template, entries=entries, filters=filters, current=current, shown=JOURNAL_SHOWN)
