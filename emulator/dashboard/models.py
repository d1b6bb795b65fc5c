"""Dashboard models page: the base catalog, the tenant's fine-tuned models and (Azure resources) deployments,
with a playground that asks a model through the same inference calls as POST /v1/chat/completions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain import inference
from ..domain.models import BASE_MODELS
from ..domain.state import Tenant
from ..errors import APIError
from .web import emulator, page, render, tenant_of

__all__ = ["models_page", "playground"]

MAX_MESSAGE_CHARS = 20_000


def _context(owner: Tenant, now: float) -> dict[str, Any]:
    tuned = [m for m in owner.models if not m.deleted]
    chat_bases = [m for m in BASE_MODELS.values() if m.kind == "chat"]
    return {
        "current": owner,
        "fine_tuned": sorted(tuned, key=lambda m: m.created, reverse=True),
        "base_models": sorted(BASE_MODELS.values(), key=lambda m: m.id),
        "playground_models": [m.id for m in sorted(tuned, key=lambda m: m.created, reverse=True)]
        + sorted(m.id for m in chat_bases),
        # An Azure resource's deployments (empty for OpenAI organizations), as the clock has left them.
        "deployments": [(d, d.state(now), d.gone_at() if d.gone_at() != float("inf") else None)
                        for d in owner.deployments.list(now)],
    }


@page
async def models_page(request: Request) -> Response:
    owner = tenant_of(request)
    chosen = request.query_params.get("model", "")
    return render(request, "models.html", chosen=chosen, **_context(owner, emulator(request).now()))


@page
async def playground(request: Request) -> Response:
    """Send one user message; show the reply and usage, or the API's error for this request."""
    owner, em = tenant_of(request), emulator(request)
    form = await request.form()
    model, message = str(form.get("model", "")), str(form.get("message", ""))[:MAX_MESSAGE_CHARS]
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": message}]}
    reply: dict[str, Any] | None = None
    error: str | None = None
    try:
        chat = inference.parse_chat(body)
        served = inference.serve(owner, chat.model, "chat")
        inference.check_model_params(body, served.reasoning)
        reply = inference.answer_chat(owner, served, chat, em.now()).to_dict()
    except APIError as exc:
        error = exc.message
    template = "_playground.html" if request.headers.get("hx-request") else "models.html"
    return render(
        request, template, chosen=model, message=message, reply=reply, error=error,
        **_context(owner, em.now()),
    )
