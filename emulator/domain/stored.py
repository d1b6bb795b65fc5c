"""Stored chat completions (`store: true`): the tenant's table, its filters, metadata updates and messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequestError, NotFoundError
from ..params import Param, validate
from .collection import Collection, Page
from .jobs.request import check_metadata

if TYPE_CHECKING:  # state.py builds tenants out of these modules
    from .state import Tenant

__all__ = [
    "StoredCompletion",
    "completion_not_found",
    "delete_completion",
    "get_completion",
    "list_completions",
    "list_messages",
    "store_completion",
    "update_completion",
]

# The request parameters a stored completion reports back (OpenAI's retrieve example shows these).
_ECHOED = (
    "seed",
    "top_p",
    "temperature",
    "presence_penalty",
    "frequency_penalty",
    "tool_choice",
    "tools",
    "response_format",
)


@dataclass
class StoredCompletion:
    id: str
    created: int
    model: str  # the model as the response named it (the snapshot, or the ft: name)
    response: dict[str, Any]  # the completion exactly as the client received it (non-streamed shape)
    messages: list[dict[str, Any]]  # the request's messages, in order
    request: dict[str, Any]  # the request body (for the echoed parameters)
    request_id: str
    metadata: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        body = dict(self.response)
        body["request_id"] = self.request_id
        for name in _ECHOED:
            body[name] = self.request.get(name)
        body["input_user"] = self.request.get("user")
        body["metadata"] = dict(self.metadata)
        return body

    def message_dicts(self) -> list[dict[str, Any]]:
        """The input messages with ids `<completion id>-<index>`; array content becomes `content_parts`.

        Their roles are the ones sent (system, user, ...), as OpenAI returns them, although the spec's schema
        for this list (and the SDK's type) only names "assistant"."""
        out = []
        for index, message in enumerate(self.messages):
            content = message.get("content")
            parts = content if isinstance(content, list) else None
            text = content if isinstance(content, str) else None
            if parts is not None:
                text = "".join(str(p.get("text", "")) for p in parts if isinstance(p, dict)) or None
            out.append(
                {
                    "id": f"{self.id}-{index}",
                    "role": message.get("role"),
                    "content": text,
                    "refusal": None,
                    "name": message.get("name"),
                    "content_parts": parts,
                }
            )
        return out


@dataclass(frozen=True)
class _Message:
    id: str
    body: dict[str, Any]


def completion_not_found(completion_id: str) -> NotFoundError:
    # OpenAI answers an id that was never stored (or was deleted) with a 404 naming the id.
    return NotFoundError(f"Completion with id '{completion_id}' not found.", param="completion_id")


UPDATE_SCHEMA: dict[str, Param] = {"metadata": Param("object", check=check_metadata)}


def store_completion(
    tenant: Tenant, response: dict[str, Any], request: Mapping[str, Any], request_id: str
) -> StoredCompletion:
    """Keep a finished completion; `request` is the validated request body."""
    record = StoredCompletion(
        id=str(response["id"]),
        created=int(response["created"]),
        model=str(response["model"]),
        response=response,
        messages=[dict(m) for m in request.get("messages") or []],
        request=dict(request),
        request_id=request_id,
        metadata=dict(request.get("metadata") or {}),
    )
    completions: Collection[StoredCompletion] = tenant.completions
    with tenant.lock:
        if record.id not in completions:
            completions.add(record)
    return record


def get_completion(tenant: Tenant, completion_id: str) -> StoredCompletion:
    record: StoredCompletion | None = tenant.completions.get(completion_id)
    if record is None:
        raise completion_not_found(completion_id)
    return record


def list_completions(
    tenant: Tenant, *, limit: int, after: str | None, order: str, query: Mapping[str, str]
) -> Page[StoredCompletion]:
    """Oldest first by default (`order=asc`), filtered by `model` and every `metadata[k]=v` pair."""
    model = query.get("model") or None
    pairs = {
        k[len("metadata[") : -1]: v for k, v in query.items() if k.startswith("metadata[") and k.endswith("]")
    }

    def wanted(record: StoredCompletion) -> bool:
        if model is not None and record.model != model and record.request.get("model") != model:
            return False
        return all(record.metadata.get(k) == v for k, v in pairs.items())

    completions: Collection[StoredCompletion] = tenant.completions
    return completions.page(
        limit=limit, after=after, newest_first=order == "desc", where=wanted if model or pairs else None
    )


def update_completion(tenant: Tenant, completion_id: str, body: dict[str, Any]) -> StoredCompletion:
    """Replace the metadata (the only field OpenAI lets you modify); `null` clears it."""
    record = get_completion(tenant, completion_id)
    valid = validate(body, UPDATE_SCHEMA)
    if "metadata" not in body:
        raise InvalidRequestError(
            "Missing required parameter: 'metadata'.", param="metadata", code="missing_required_parameter"
        )
    record.metadata = dict(valid.get("metadata") or {})
    return record


def delete_completion(tenant: Tenant, completion_id: str) -> dict[str, Any]:
    get_completion(tenant, completion_id)
    tenant.completions.remove(completion_id)
    return {"object": "chat.completion.deleted", "id": completion_id, "deleted": True}


def list_messages(
    tenant: Tenant, completion_id: str, *, limit: int, after: str | None, order: str
) -> dict[str, Any]:
    """The stored request's messages, cursor-paginated by message id."""
    record = get_completion(tenant, completion_id)
    messages: Collection[_Message] = Collection()
    for message in record.message_dicts():
        messages.add(_Message(message["id"], message))
    page = messages.page(limit=limit, after=after, newest_first=order == "desc")
    return page.to_dict(lambda m: m.body, cursors=True, empty_cursor="")
