"""Which model answers a completion request: base snapshots, a tenant's fine-tuned and checkpoint models."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...errors import InvalidRequestError, NotFoundError
from .. import models, tokens
from ..azure_names import is_fine_tuned

__all__ = ["ServedModel", "SharedModels", "check_budget", "max_output_tokens", "serve"]

# model id -> (owner tenant, model record) for a model granted to the caller's project, else None
SharedModels = Callable[[str], "tuple[Any, models.ModelRecord] | None"]

_NOT_CHAT = (
    "This is not a chat model and thus not supported in the v1/chat/completions endpoint. "
    "Did you mean to use v1/completions?"
)
_CHAT_ONLY = (
    "This is a chat model and not supported in the v1/completions endpoint. "
    "Did you mean to use v1/chat/completions?"
)


@dataclass(frozen=True)
class ServedModel:
    name: str  # what the response's `model` says: the snapshot for an alias, the ft: name verbatim
    base: models.BaseModel  # the snapshot that does the work (a fine-tune's base)
    encoding: str
    record: models.ModelRecord | None = None  # set for fine-tuned and checkpoint models
    owner: Any = None  # the tenant that trained `record` when another tenant's project was granted it

    @property
    def fine_tuned(self) -> bool:
        return self.record is not None

    @property
    def reasoning(self) -> bool:
        return self.base.reasoning

    @property
    def fingerprint(self) -> str:
        """`system_fingerprint`: fixed per served model, as OpenAI's is per backend configuration."""
        return "fp_" + hashlib.sha256(("fingerprint:" + self.name).encode()).hexdigest()[:10]


def _not_found(model_id: str) -> NotFoundError:
    return NotFoundError(
        f"The model `{model_id}` does not exist or you do not have access to it.", code="model_not_found"
    )


def _tenant_model(tenant: Any, model_id: str) -> models.ModelRecord | None:
    finder = getattr(models, "find_model", None)
    record: models.ModelRecord | None
    if finder is not None:
        record = finder(tenant, model_id)
    else:
        record = tenant.models.get(model_id)
    if record is None or getattr(record, "deleted", False):
        return None
    return record


def serve(tenant: Any, model_id: str, endpoint: str, shared: SharedModels | None = None) -> ServedModel:
    """Resolve `model_id` for `endpoint` ("chat" or "completion") or raise OpenAI's 404; `shared` finds
    models other tenants have granted to the caller's project.

    Raises:
        NotFoundError: unknown, deleted or other-tenant model (`model_not_found`), or a model of the
            other endpoint's kind (param `model`, as OpenAI words it).
    """
    fine_tuned = is_fine_tuned(model_id)
    record = _tenant_model(tenant, model_id) if fine_tuned else None
    owner = None
    if record is None and fine_tuned and shared is not None:
        found = shared(model_id)
        if found is not None:
            owner, record = found
    if record is not None:
        base = models.base_model(record.base) or models.base_model(models.resolve_alias(record.base))
        if base is None:
            raise _not_found(model_id)
        served = ServedModel(model_id, base, base.encoding, record, owner)
    else:
        base = models.base_model(model_id)
        if base is None:
            raise _not_found(model_id)
        snapshot = models.base_model(models.resolve_alias(model_id)) or base
        served = ServedModel(snapshot.id, snapshot, snapshot.encoding)
    kind = served.base.kind
    if endpoint == "chat" and kind != "chat":
        raise NotFoundError(_NOT_CHAT, param="model", code=None)
    if endpoint == "completion" and kind != "completion":
        raise NotFoundError(_CHAT_ONLY, param="model", code=None)
    tokens.is_exact(served.encoding)  # loads the encoder now (once per process), not mid-stream
    return served


def max_output_tokens(model: ServedModel) -> int:
    if model.base.kind == "completion":
        return model.base.context_window
    return model.base.max_output


def check_budget(model: ServedModel, prompt_tokens: int, requested: int | None, param: str) -> int:
    """The completion budget in tokens, or OpenAI's 400 when the request cannot fit the model.

    Raises:
        InvalidRequestError: `max_tokens is too large` (param: the parameter used) or
            `context_length_exceeded` (param `messages`).
    """
    window = model.base.context_window
    limit = max_output_tokens(model)
    if model.base.kind == "chat":
        if requested is not None and requested > limit:
            raise InvalidRequestError(
                f"max_tokens is too large: {requested}. This model supports at most {limit} completion "
                "tokens, "
                f"whereas you provided {requested}.",
                param=param,
                code="invalid_value",  # as OpenAI answers (tailcallhq/forgecode#1185, 2025-07)
            )
        if requested is None and prompt_tokens > window:
            raise InvalidRequestError(
                f"This model's maximum context length is {window} tokens. However, your messages resulted in "
                f"{prompt_tokens} tokens. Please reduce the length of the messages.",
                param="messages",
                code="context_length_exceeded",
            )
        if requested is not None and prompt_tokens + requested > window:
            raise InvalidRequestError(
                f"This model's maximum context length is {window} tokens. However, you requested "
                f"{prompt_tokens + requested} tokens ({prompt_tokens} in the messages, {requested} in the "
                "completion). Please reduce the length of the messages or completion.",
                param="messages",
                code="context_length_exceeded",
            )
        return requested if requested is not None else min(limit, window - prompt_tokens)
    wanted = 16 if requested is None else requested
    if prompt_tokens + wanted > window:
        raise InvalidRequestError(
            f"This model's maximum context length is {window} tokens, however you requested "
            f"{prompt_tokens + wanted} tokens ({prompt_tokens} in your prompt; {wanted} for the completion). "
            "Please reduce your prompt; or completion length.",
            param=None,
            code="context_length_exceeded",
        )
    return wanted
