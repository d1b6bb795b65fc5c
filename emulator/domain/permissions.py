"""Checkpoint permissions: admin keys, projects, and grants that share a fine-tuned model with other projects.

How the emulator models who is who:

* An API key is an *admin key* when it starts with `sk-admin-` (as OpenAI's admin keys do) or is listed in
  `Settings.admin_keys`. Only admin keys may list, create or delete permissions.
* Every request acts in a *project*: the `OpenAI-Project` header when the client sends one, otherwise its
  organization's default project, `proj_` + 24 characters derived from the organization id (every response
  names it in the `openai-project` header).
* A grant of checkpoint `ft:…` to `proj_X` lets any request acting in `proj_X`, in whatever organization, use
  that model for chat/legacy completions and as the base `model` of a new fine-tuning job. Deleting the
  permission takes that away at once. The owner's own keys keep their access regardless.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import AuthenticationError, InvalidRequestError, NotFoundError
from ..params import Param, validate
from .collection import Collection, Page
from .models import ModelRecord, find_model

if TYPE_CHECKING:  # state.py builds tenants out of these modules
    from .state import Tenant

__all__ = [
    "ADMIN_PREFIX",
    "Permission",
    "check_admin",
    "create_permissions",
    "delete_permission",
    "find_checkpoint",
    "is_admin_key",
    "list_permissions",
    "shared_model",
]

ADMIN_PREFIX = "sk-admin-"
CREATE_SCHEMA: dict[str, Param] = {
    "project_ids": Param(
        "array",
        required=True,
        nullable=False,
        min_length=1,
        items=Param("string", nullable=False, min_length=1),
    )
}


@dataclass(frozen=True)
class Permission:
    id: str  # cp_ + 24 alphanumerics
    created_at: int
    project_id: str
    checkpoint: str  # the fine-tuned model (or checkpoint model) it shares

    def to_dict(self) -> dict[str, Any]:
        return {
            "object": "checkpoint.permission",
            "id": self.id,
            "created_at": self.created_at,
            "project_id": self.project_id,
        }


def is_admin_key(api_key: str, admin_keys: Iterable[str]) -> bool:
    return api_key.startswith(ADMIN_PREFIX) or api_key in tuple(admin_keys)


def check_admin(api_key: str, admin_keys: Iterable[str], write: bool) -> None:
    """OpenAI's 401 for a key without the scope an endpoint needs, in the wording its API uses for that
    (e.g. microsoft/PowerToys#32989: "… Missing scopes: model.request. …", 401); the scope's name for
    these admin endpoints is the emulator's."""
    if not is_admin_key(api_key, admin_keys):
        scope = "api.fine_tuning.checkpoints.permissions." + ("write" if write else "read")
        raise AuthenticationError(
            f"You have insufficient permissions for this operation. Missing scopes: {scope}. Check that you "
            "have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), "
            "and if you're using a restricted API key, that it has the necessary scopes.",
            code=None,
        )


def find_checkpoint(tenant: Tenant, checkpoint: str) -> ModelRecord:
    """The tenant's fine-tuned or checkpoint model named `checkpoint`, or the 404 OpenAI gives."""
    record = find_model(tenant, checkpoint)
    if record is None:
        raise NotFoundError(
            f"Fine-tuned model checkpoint {checkpoint} not found.", param="fine_tuned_model_checkpoint"
        )
    return record


def _table(tenant: Tenant) -> Collection[Permission]:
    table: Collection[Permission] = tenant.permissions
    return table


def create_permissions(
    tenant: Tenant, checkpoint: str, body: Mapping[str, Any], now: float, *, any_project: bool = False
) -> Page[Permission]:
    """Grant `checkpoint` to each project in `project_ids` (an existing grant is returned, not doubled);
    `any_project` (lenient mode) accepts ids that do not look like project ids."""
    record = find_checkpoint(tenant, checkpoint)
    projects: list[str] = validate(body, CREATE_SCHEMA)["project_ids"]
    for project in projects:
        if not any_project and not project.startswith("proj_"):
            raise InvalidRequestError(
                f"Invalid project id '{project}': project ids start with 'proj_'.",
                param="project_ids",
                code="invalid_value",
            )
    table, made = _table(tenant), []
    with tenant.lock:
        for project in dict.fromkeys(projects):
            existing = next((p for p in table if p.checkpoint == record.id and p.project_id == project), None)
            made.append(
                existing or table.add(Permission(tenant.ids.new("cp_"), int(now), project, record.id))
            )
    return Page(made, False)


def list_permissions(
    tenant: Tenant, checkpoint: str, *, limit: int, after: str | None, order: str, project_id: str | None
) -> Page[Permission]:
    record = find_checkpoint(tenant, checkpoint)

    def wanted(p: Permission) -> bool:
        return p.checkpoint == record.id and (project_id is None or p.project_id == project_id)

    return _table(tenant).page(limit=limit, after=after, newest_first=order == "descending", where=wanted)


def delete_permission(tenant: Tenant, checkpoint: str, permission_id: str) -> dict[str, Any]:
    record = find_checkpoint(tenant, checkpoint)
    found = _table(tenant).get(permission_id)
    if found is None or found.checkpoint != record.id:
        raise NotFoundError(f"No such checkpoint permission: {permission_id}", param="permission_id")
    _table(tenant).remove(permission_id)
    return {"object": "checkpoint.permission", "id": permission_id, "deleted": True}


def shared_model(
    tenants: Iterable[Tenant], project_id: str, model_id: str
) -> tuple[Tenant, ModelRecord] | None:
    """(owner tenant, model) when some tenant has granted `model_id` to `project_id`."""
    for owner in tenants:
        for grant in _table(owner):
            if grant.checkpoint == model_id and grant.project_id == project_id:
                record = find_model(owner, model_id)
                if record is not None:
                    return owner, record
    return None
