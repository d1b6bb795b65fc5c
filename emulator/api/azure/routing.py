"""Deployment-scoped inference: on Azure a model answers only through a deployment of it.

`AzureOpenAI` puts the deployment in the path (`/openai/deployments/{name}/chat/completions`, built from
`model` by openai/lib/azure.py); the GA v1 API takes the deployment name as `model`
(`/openai/v1/chat/completions`). Either way the deployment is resolved in the caller's resource
(`tenant.deployments.route`, which also records the call for the idle rule), `model` in the body becomes
the deployed model, and the same completion engine answers. An unknown deployment gets Azure's 404
`DeploymentNotFound`. Sits inside the OpenAI edge, so the refusal is journaled like any answer.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...domain.deployments import DeploymentNotFound
from ...domain.state import Emulator, Tenant
from ...errors import APIError
from ...rendering import error_response
from ...request_body import read_json_body
from .versions import AzureCall

__all__ = ["DeploymentRouting"]

_INFERENCE = frozenset({"/v1/chat/completions", "/v1/completions"})


class DeploymentRouting:
    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: dict[str, Any] = scope.get("state") or {}
        call: AzureCall | None = state.get("azure")
        inference = scope["type"] == "http" and scope["path"] in _INFERENCE and scope["method"] == "POST"
        if call is None or not inference:
            await self.app(scope, receive, send)
            return
        body, replay = await read_json_body(receive)
        if not isinstance(body, dict):  # the core gives the error a malformed or oversized body gets
            await self.app(scope, replay, send)
            return
        tenant: Tenant = state["tenant"]
        name = call.deployment or body.get("model")
        try:
            if not isinstance(name, str) or not name:
                raise DeploymentNotFound()
            body["model"] = tenant.deployments.route(name, self.emulator.now()).model
        except APIError as exc:
            await error_response(exc)(scope, replay, send)
            return
        rewritten = json.dumps(body).encode()
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(rewritten)).encode()))
        await self.app({**scope, "headers": headers}, _then(rewritten, receive), send)


def _then(body: bytes, rest: Receive) -> Receive:
    """The rewritten body, then the client's own messages (a disconnect still ends a stream)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await rest()

    return receive
