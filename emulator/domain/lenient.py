"""Lenient mode: ids a tenant never created are materialized on first reference, so suites generated from
the spec (fixed ids such as `file-abc123`, `ft-AF1WoRqd3aJAHsqc9NY7iL8F`) run against a stateful emulator.

Each `ensure_*` does nothing unless lenient mode is on, the id is well formed for its kind, and the tenant
has no such object yet. The object it makes is plausible and built through the same code as a real one,
from the id and the seed, and from then on behaves like any other (listed, cancelled, deleted).

* `file-…`: a processed `fine-tune` file of 12 chat examples.
* `ftjob-…` / `ft-…` (jobs): a job on gpt-4o-mini trained on such a file; succeeded, with its events,
  checkpoints and model, unless the first call is cancel or pause (then running) or resume (then paused),
  so that call succeeds.
* `ft:<base>:…` models and `ft-…`/`ftckpt-…` checkpoint ids (checkpoint permissions): a fine-tuned model.
* `chatcmpl-…`: a stored chat completion of a short exchange.
* `cp_…`: a permission on the checkpoint it was referenced with.
"""

from __future__ import annotations

import json
import random
import re
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError
from .files import FileRecord
from .inference import answer_chat, parse_chat, serve
from .models import BASE_MODELS, ModelRecord, find_model
from .permissions import Permission
from .stored import store_completion

if TYPE_CHECKING:  # state.py builds tenants out of these modules
    from .state import Emulator, Tenant

__all__ = [
    "ensure_checkpoint",
    "ensure_completion",
    "ensure_file",
    "ensure_job",
    "ensure_model",
    "ensure_permission",
    "relax_job_body",
]

_TOKEN = r"[A-Za-z0-9_-]+"
_FILE = re.compile(rf"^file-{_TOKEN}$")
_JOB = re.compile(rf"^(ftjob|ft)-{_TOKEN}$")
_MODEL = re.compile(r"^ft:([A-Za-z0-9.\-]+):[^:\s]*:[^:\s]*:[^:\s]+(:ckpt-step-\d+)?$")
_CHECKPOINT = re.compile(rf"^(ft|ftckpt)-{_TOKEN}$")
_COMPLETION = re.compile(rf"^chatcmpl-{_TOKEN}$")
_PERMISSION = re.compile(rf"^cp_{_TOKEN}$")
_BASE = "gpt-4o-mini-2024-07-18"
_PAST = 3600.0  # materialized objects were made an hour before their first reference
_TOPICS = ("weather", "billing", "shipping", "returns", "accounts", "orders")


def _on(em: Emulator) -> bool:
    return bool(getattr(em.settings, "lenient", False))


def _rng(em: Emulator, tenant: Tenant, object_id: str) -> random.Random:
    return tenant.ids.rng("lenient", em.seed, object_id)


def _examples(em: Emulator, tenant: Tenant, object_id: str, n: int = 12) -> bytes:
    rng = _rng(em, tenant, object_id)
    rows = []
    for i in range(n):
        topic, number = rng.choice(_TOPICS), rng.randrange(100, 999)
        rows.append(
            {
                "messages": [
                    {"role": "system", "content": "You are a concise support assistant."},
                    {"role": "user", "content": f"Question {i + 1} about {topic}: what is case {number}?"},
                    {"role": "assistant", "content": f"Case {number} is about {topic}; it is resolved."},
                ]
            }
        )
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def ensure_file(em: Emulator, tenant: Tenant, file_id: str) -> None:
    if not _on(em) or not _FILE.match(file_id) or file_id in tenant.files:
        return
    blob = em.blobs.from_bytes(_examples(em, tenant, file_id))
    created = int(em.now() - _PAST - 60)
    with tenant.lock:
        if file_id not in tenant.files:
            tenant.files.add(FileRecord(file_id, blob.size, created, "train.jsonl", "fine-tune", blob))


def ensure_job(em: Emulator, tenant: Tenant, job_id: str, first_call: str = "retrieve") -> None:
    """A job for `job_id`; `first_call` (cancel, pause, resume or anything else) picks its status."""
    if not _on(em) or not _JOB.match(job_id) or tenant.jobs.jobs.get(job_id) is not None:
        return
    from .jobs import service  # jobs import inference, which imports this module's neighbours

    now = em.now()
    status = {"cancel": "running", "pause": "running", "resume": "running"}.get(first_call, "succeeded")
    file_id = "file-" + tenant.ids.token("lenient-file", 24)
    ensure_file(em, tenant, file_id)
    with tenant.lock:
        if tenant.jobs.jobs.get(job_id) is not None:
            return
        body = {"model": "gpt-4o-mini", "training_file": file_id}
        start = now - _PAST if status == "succeeded" else now
        service.create_job(em, tenant, body, start, job_id=job_id)
        try:
            service.run_until(em, tenant, job_id, status, now=now)
            if first_call == "resume":
                service.pause_job(em, tenant, job_id, now)
        except ConflictError:  # an active scenario scripted another fate (failed, stuck): it stands
            pass
    tenant.settle(now)


def ensure_model(em: Emulator, tenant: Tenant, model_id: str) -> None:
    """A fine-tuned model for an `ft:<base>:org:suffix:id` name (used for chat, jobs and permissions)."""
    match = _MODEL.match(model_id)
    if not _on(em) or match is None or find_model(tenant, model_id) is not None:
        return
    base = match.group(1) if match.group(1) in BASE_MODELS else _BASE
    _add_model(em, tenant, model_id, base)


def ensure_checkpoint(em: Emulator, tenant: Tenant, checkpoint: str) -> None:
    """The checkpoint of a permissions call: an `ft:` model, or an `ft-…`/`ftckpt-…` checkpoint id."""
    ensure_model(em, tenant, checkpoint)
    if _on(em) and _CHECKPOINT.match(checkpoint) and find_model(tenant, checkpoint) is None:
        _add_model(em, tenant, checkpoint, _BASE)


def _add_model(em: Emulator, tenant: Tenant, model_id: str, base: str) -> None:
    with tenant.lock:
        if tenant.models.get(model_id) is None:
            created = int(em.now() - _PAST)
            tenant.models.add(ModelRecord(model_id, created, tenant.organization.name, base))


def ensure_completion(em: Emulator, tenant: Tenant, completion_id: str, request_id: str) -> None:
    """A stored completion answering a short question, as if it had been created with `store: true`."""
    if not _on(em) or not _COMPLETION.match(completion_id) or completion_id in tenant.completions:
        return
    rng = _rng(em, tenant, completion_id)
    body = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "user", "content": f"Summarise ticket {rng.randrange(1000, 9999)} in one line."}
        ],
        "store": True,
        "metadata": {},
    }
    chat = parse_chat(body)
    completion = answer_chat(tenant, serve(tenant, chat.model, "chat"), chat, em.now() - _PAST)
    response = {**completion.to_dict(), "id": completion_id}
    with tenant.lock:
        if completion_id not in tenant.completions:
            store_completion(tenant, response, body, request_id)


def ensure_permission(em: Emulator, tenant: Tenant, checkpoint: str, permission_id: str) -> None:
    """A permission `permission_id` on `checkpoint` (itself materialized if need be)."""
    if not _on(em) or not _PERMISSION.match(permission_id) or permission_id in tenant.permissions:
        return
    ensure_checkpoint(em, tenant, checkpoint)
    record = find_model(tenant, checkpoint)
    if record is None:
        return
    project = "proj_" + tenant.ids.token("lenient-project", 24)
    with tenant.lock:
        if permission_id not in tenant.permissions:
            tenant.permissions.add(Permission(permission_id, int(em.now() - _PAST), project, record.id))


def relax_job_body(em: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    """What generated all-params calls send, made acceptable: only the chosen method's body is kept, and
    the deprecated top-level `hyperparameters` give way to the method's own."""
    if not _on(em):
        return body
    method = body.get("method")
    if isinstance(method, dict) and isinstance(method.get("type"), str):
        kind = method["type"]
        method = {k: v for k, v in method.items() if k in ("type", kind)}
        body = {**body, "method": method}
        inner = method.get(kind)
        if "hyperparameters" in body and isinstance(inner, dict) and inner.get("hyperparameters"):
            body = {k: v for k, v in body.items() if k != "hyperparameters"}
    return body
