"""Declarative fixtures: a YAML world of objects with chosen ids, loaded all or nothing.

A fixture names tenants by API key and, per tenant, lists objects by kind (`files`, `jobs`, `scenarios`,
`deployments`). A tenant with `dialect: azure` is the Azure OpenAI resource of that key, where models are
served through deployments.
Kinds are pluggable (`KINDS`): each checks its items (errors carry file, line and field) and creates them
through the same domain code the API uses, so a job declared `succeeded` has the events, checkpoints,
result file and fine-tuned model it would have had after running. Loading is atomic: the whole fixture is
first checked, then rehearsed on a scratch emulator, and only then applied.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..clock import VirtualClock
from ..domain import files as file_domain
from ..domain import jobs as job_domain
from ..domain.state import Emulator, Tenant
from ..domain.tenancy import Dialect
from ..errors import APIError
from ..scenarios import ScenarioError, parse_scenario
from ..scenarios._source import Source, read_yaml

__all__ = ["KINDS", "FixtureError", "Kind", "fixture_payload", "load_fixture", "preload_startup"]

JOB_STATUSES = ("validating_files", "queued", "running", "succeeded", "failed", "cancelled", "paused")


class FixtureError(ValueError):
    """A fixture rejected as a whole; `problems` name file, line and field, one each."""

    def __init__(self, problems: list[ScenarioError]) -> None:
        self.problems = problems
        super().__init__("invalid fixture:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass
class Context:
    """What one load knows: where errors point, attached file bytes, ids the fixture declares."""

    source: Source
    attachments: Mapping[str, bytes]
    problems: list[ScenarioError]
    declared: set[str] = dataclasses.field(default_factory=set)

    def error(self, path: str, problem: str) -> None:
        self.problems.append(self.source.error(path, problem))


@dataclass(frozen=True)
class Kind:
    """One kind of fixture object: `check` each item (report problems on the context), `apply` them."""

    fields: frozenset[str]
    check: Callable[[Any, str, Context, Tenant], None]
    apply: Callable[[Emulator, Tenant, Any, Context], str]


# -- files ----------------------------------------------------------------------------------------------


def _check_file(item: Any, path: str, ctx: Context, tenant: Tenant) -> None:
    _check_id(item, path, ctx, "file-", tenant.files)
    for name in ("filename", "purpose"):
        if not isinstance(item.get(name), str):
            ctx.error(f"{path}.{name}", "required, a string")
    if ("content" in item) == ("path" in item):
        ctx.error(path, "give exactly one of 'content' (the bytes, inline) or 'path' (a file)")
    elif "content" in item and not isinstance(item["content"], str):
        ctx.error(f"{path}.content", "must be a string")
    elif "path" in item and str(item["path"]) not in ctx.attachments:
        ctx.error(f"{path}.path", f"file {item['path']!r} not found next to the fixture")
    if isinstance(item.get("purpose"), str) and isinstance(item.get("filename"), str):
        try:
            file_domain.check_filename(file_domain.check_purpose(item["purpose"]), item["filename"])
        except APIError as exc:
            ctx.error(f"{path}.purpose", exc.message)


def _apply_file(em: Emulator, tenant: Tenant, item: Any, ctx: Context) -> str:
    data = item["content"].encode() if "content" in item else ctx.attachments[str(item["path"])]
    with tenant.ids.chosen("file-", item["id"]):
        record = file_domain.add_file(
            tenant,
            em.now(),
            filename=item["filename"],
            purpose=item["purpose"],
            blob=em.blobs.from_bytes(data),
        )
    return record.id


# -- fine-tuning jobs -----------------------------------------------------------------------------------

_JOB_REQUEST = (
    "model",
    "training_file",
    "validation_file",
    "hyperparameters",
    "method",
    "suffix",
    "seed",
    "metadata",
    "integrations",
)


def _check_job(item: Any, path: str, ctx: Context, tenant: Tenant) -> None:
    _check_id(item, path, ctx, "ftjob-", tenant.jobs.jobs)
    for name in ("model", "training_file"):
        if not isinstance(item.get(name), str):
            ctx.error(f"{path}.{name}", "required, a string")
    for name in ("training_file", "validation_file"):
        ref = item.get(name)
        if isinstance(ref, str) and ref not in ctx.declared and ref not in tenant.files:
            ctx.error(f"{path}.{name}", f"no file {ref!r} in this fixture or the tenant")
    status = item.get("status", "validating_files")
    if status not in JOB_STATUSES:
        ctx.error(f"{path}.status", f"must be one of {', '.join(JOB_STATUSES)}, not {status!r}")
    policy = item.get("progression")
    if policy is not None and policy not in job_domain.POLICIES:
        ctx.error(f"{path}.progression", f"must be one of {', '.join(job_domain.POLICIES)}, not {policy!r}")


def _apply_job(em: Emulator, tenant: Tenant, item: Any, ctx: Context) -> str:
    now = em.now()
    body = {k: item[k] for k in _JOB_REQUEST if k in item}
    with tenant.ids.chosen("ftjob-", item["id"]):
        job = job_domain.create_job(em, tenant, body, now)
    status = item.get("status", "validating_files")
    if status == "cancelled":
        job_domain.cancel_job(em, tenant, job.id, now)
    elif status == "paused":
        job_domain.run_until(em, tenant, job.id, "running", now, move_clock=False)
        job_domain.pause_job(em, tenant, job.id, now)
    elif status != "validating_files":
        job_domain.run_until(em, tenant, job.id, status, now, move_clock=False)
    if item.get("progression"):
        job_domain.set_progression(em, tenant, item["progression"], job.id, now)
    tenant.settle(now)
    return job.id


# -- scenarios ------------------------------------------------------------------------------------------


def _check_scenario(item: Any, path: str, ctx: Context, tenant: Tenant) -> None:
    if not isinstance(item, str | dict):
        ctx.error(path, "a scenario name or a scenario mapping")


def _apply_scenario(em: Emulator, tenant: Tenant, item: Any, ctx: Context) -> str:
    org = tenant.organization.id
    scenario = (
        em.scenarios.find(item, org) if isinstance(item, str) else parse_scenario(item, ctx.source.name)
    )
    em.scenarios.load(scenario, org)
    return scenario.name


# -- deployments (Azure resources) ----------------------------------------------------------------------


def _check_deployment(item: Any, path: str, ctx: Context, tenant: Tenant) -> None:
    if tenant.dialect != "azure":
        ctx.error(path, "deployments belong to Azure resources: give the tenant 'dialect: azure'")
    for name in ("name", "model"):
        if not isinstance(item.get(name), str) or not item[name]:
            ctx.error(f"{path}.{name}", "required, a string")
    for name in ("version", "sku"):
        if name in item and not isinstance(item[name], str):
            ctx.error(f"{path}.{name}", "must be a string")
    capacity = item.get("capacity", 1)
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        ctx.error(f"{path}.capacity", "must be a positive integer")


def _apply_deployment(em: Emulator, tenant: Tenant, item: Any, ctx: Context) -> str:
    """A deployment ready at load time (the model must exist: a base model or one the fixture trained)."""
    now = em.now()
    tenant.settle(now)
    deployment, _ = tenant.deployments.put(
        item["name"], model=item["model"], version=item.get("version"), sku=item.get("sku", "standard"),
        capacity=item.get("capacity", 1), now=now, ready=True,
    )
    return deployment.name


KINDS: dict[str, Kind] = {  # applied in this order: jobs refer to files, deployments to jobs' models
    "files": Kind(frozenset({"id", "filename", "purpose", "content", "path"}), _check_file, _apply_file),
    "jobs": Kind(frozenset({"id", "status", "progression", *_JOB_REQUEST}), _check_job, _apply_job),
    "scenarios": Kind(frozenset(), _check_scenario, _apply_scenario),
    "deployments": Kind(frozenset({"name", "model", "version", "sku", "capacity"}), _check_deployment,
                        _apply_deployment),
}


def _check_id(item: Any, path: str, ctx: Context, prefix: str, existing: Any) -> None:
    object_id = item.get("id")
    if not isinstance(object_id, str) or not object_id.startswith(prefix) or len(object_id) <= len(prefix):
        ctx.error(f"{path}.id", f"required, a string starting with {prefix!r}")
    elif object_id in ctx.declared:
        ctx.error(f"{path}.id", f"id {object_id!r} is declared twice")
    elif object_id in existing:
        ctx.error(f"{path}.id", f"id {object_id!r} already exists; a fixture never overwrites")
    else:
        ctx.declared.add(object_id)


# -- loading --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One kind's items for one tenant: `tenants[index].kind`."""

    index: int
    api_key: str
    kind: str
    items: list[Any]
    dialect: Dialect = "openai"


def _check(em: Emulator, data: Any, ctx: Context) -> list[Step]:
    """Every problem in the fixture, reported together; the plan to apply when there are none."""
    plan: list[Step] = []
    if not isinstance(data, dict) or not isinstance(data.get("tenants"), list):
        ctx.error("tenants", "a fixture is a mapping with a 'tenants' list")
        return plan
    for extra in sorted(set(data) - {"tenants"}):
        ctx.error(extra, "unknown key (expected 'tenants')")
    for t, spec in enumerate(data["tenants"]):
        where = f"tenants[{t}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("api_key"), str) or not spec["api_key"]:
            ctx.error(where, "each tenant is a mapping with an 'api_key'")
            continue
        dialect: Dialect = "azure" if spec.get("dialect") == "azure" else "openai"
        if spec.get("dialect", "openai") not in ("openai", "azure"):
            ctx.error(f"{where}.dialect", "must be 'openai' (default) or 'azure'")
        org = em.organization(spec["api_key"], dialect)
        tenant = em.find_tenant(org.id) or Tenant(org, em.seed)  # created only when the fixture applies
        for extra in sorted(set(spec) - {"api_key", "dialect", *KINDS}):
            ctx.error(f"{where}.{extra}", f"unknown key (expected api_key, dialect, {', '.join(KINDS)})")
        for name, kind in KINDS.items():
            items = spec.get(name, [])
            if not isinstance(items, list):
                ctx.error(f"{where}.{name}", "must be a list")
                continue
            for i, item in enumerate(items):
                path = f"{where}.{name}[{i}]"
                if kind.fields and not isinstance(item, dict):
                    ctx.error(path, "must be a mapping")
                    continue
                for extra in sorted(set(item) - kind.fields) if kind.fields else ():
                    ctx.error(f"{path}.{extra}", f"unknown field (expected {', '.join(sorted(kind.fields))})")
                kind.check(item, path, ctx, tenant)
            plan.append(Step(t, spec["api_key"], name, items, dialect))
    return plan


def _apply(em: Emulator, plan: list[Step], ctx: Context) -> dict[str, dict[str, list[str]]]:
    loaded: dict[str, dict[str, list[str]]] = {}
    for step in plan:
        tenant = em.tenant(step.api_key, step.dialect)
        made = loaded.setdefault(tenant.organization.id, {}).setdefault(step.kind, [])
        for i, item in enumerate(step.items):
            try:
                made.append(KINDS[step.kind].apply(em, tenant, item, ctx))
            except (APIError, ScenarioError, KeyError) as exc:
                problem = exc.message if isinstance(exc, APIError) else str(exc)
                ctx.error(f"tenants[{step.index}].{step.kind}[{i}]", problem)
                raise FixtureError(ctx.problems) from None
    return loaded


def _rehearsal(em: Emulator, plan: list[Step]) -> Emulator:
    """A scratch emulator at the same time, holding the tenants' existing files, to try the fixture on."""
    scratch = Emulator(dataclasses.replace(em.settings, data_dir="", preload=()), VirtualClock(em.now()))
    for step in plan:
        live = em.find_tenant(em.organization(step.api_key, step.dialect).id)
        copy = scratch.tenant(step.api_key, step.dialect)
        for record in live.files if live is not None else ():
            if record.id not in copy.files:
                copy.files.add(record)
        for model in live.models if live is not None else ():  # deployments may name models trained before
            if model.id not in copy.models:
                copy.models.add(model)
    return scratch


def load_fixture(em: Emulator, payload: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Load a fixture payload (`fixture_payload`) all or nothing; returns the ids made per organization."""
    name = str(payload.get("name") or "<fixture>")
    attachments = {k: base64.b64decode(v) for k, v in dict(payload.get("attachments") or {}).items()}
    try:
        data, source = read_yaml(str(payload.get("yaml") or ""), name)
    except ScenarioError as exc:
        raise FixtureError([exc]) from None
    ctx = Context(source, attachments, [])
    plan = _check(em, data, ctx)
    if ctx.problems:
        raise FixtureError(ctx.problems)
    scratch = _rehearsal(em, plan)
    try:
        _apply(scratch, plan, ctx)
    finally:
        scratch.close()
    return _apply(em, plan, ctx)


def fixture_payload(path: str | Path) -> dict[str, Any]:
    """A fixture file as one self-contained payload: its YAML plus the bytes of every file it names by
    `path` (relative to the fixture), so loading it never depends on files that may change later."""
    path = Path(path)
    text = path.read_text()
    attachments: dict[str, str] = {}
    try:
        data, _ = read_yaml(text, str(path))
    except ScenarioError as exc:
        raise FixtureError([exc]) from None
    for spec in (data or {}).get("tenants") or [] if isinstance(data, dict) else []:
        for item in (spec.get("files") or []) if isinstance(spec, dict) else []:
            ref = item.get("path") if isinstance(item, dict) else None
            target = path.parent / str(ref) if ref is not None else None
            if target is not None and target.is_file():
                attachments[str(ref)] = base64.b64encode(target.read_bytes()).decode()
    return {"name": path.name, "yaml": text, "attachments": attachments}


def preload_startup(em: Emulator) -> None:
    """Load `settings.preload` fixtures; with a data directory, each file only the first time (the journal
    keeps what it loaded, so later edits to the file don't matter to that directory)."""
    store = em.store
    for path in em.settings.preload:
        if store is None:
            load_fixture(em, fixture_payload(path))
            continue
        name, done = str(Path(path).resolve()), list(store.db.meta().get("preloaded") or [])
        if name not in done:
            store.perform("fixture", fixture_payload(path))
            store.db.set_meta({"preloaded": [*done, name]})
