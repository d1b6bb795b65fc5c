"""What an Azure answer looks like: its error envelope, its headers and the dated API's job quirks.

Errors: Azure's v1 data-plane spec (Azure/azure-rest-api-specs, specification/ai/data-plane/OpenAI.v1,
`AzureErrorResponse`, shipped in emulator/contract/azure_v1.json) wraps `{"error": {"code", "message",
"param", "type", "inner_error"}}` with `type` always "error" and `param` a string when present; the code is
never null. Where the core gives no code, the status picks one of the fine-tuning service's codes (the
Microsoft REST guidelines' `ErrorCode` enum of the dated authoring spec: invalidPayload, notFound, conflict,
tooManyRequests, internalFailure, ...). The front door (API Management) answers with only code and message,
and so does DeploymentNotFound (its real body, quoted in chatboxai/chatbox#861).

Headers: Azure sends `apim-request-id` and `x-request-id` (GUIDs), `x-ms-region`, `x-content-type-options`,
`strict-transport-security` and echoes `x-ms-client-request-id` (headers quoted in
microsoft/semantic-kernel#5394); none of OpenAI's `openai-*` headers.

Dated API: a job create answers 201 with a `Location` header, and a job OpenAI reports as validating_files
or queued is `pending` (Azure's FineTuningState: created, pending, running, succeeded, cancelled, failed;
BerriAI/litellm#24687 shows real responses carrying `pending`).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "REGION",
    "add_content_filters",
    "azure_error_body",
    "front_door_body",
    "guid",
    "translate_error",
    "translate_jobs",
]

REGION = "East US"  # what `x-ms-region` names: the emulator is one region
_CODES = {
    400: "invalidPayload",
    401: "unauthorized",
    403: "forbidden",
    404: "notFound",
    409: "conflict",
    413: "invalidPayload",
    429: "tooManyRequests",
    500: "internalFailure",
    503: "serviceUnavailable",
}
_FRONT_DOOR = frozenset({"DeploymentNotFound"})  # as Azure sends it: {"error": {"code", "message"}}
_QUEUED = frozenset({"validating_files", "queued"})


def guid(request_id: str) -> str:
    """A request id (`req_` + 32 hex) as the GUID Azure puts in `apim-request-id`."""
    h = (request_id.removeprefix("req_") + "0" * 32)[:32]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def front_door_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def azure_error_body(status: int, code: str | None, message: str, param: str | None) -> bytes:
    """The service's envelope: `type` is always "error" and `param` is present only when it applies
    (the spec types it as a string), `inner_error` carries nothing the emulator knows of."""
    error: dict[str, Any] = {"code": code or _CODES.get(status, str(status)), "message": message}
    if param is not None:
        error["param"] = param
    error.update(type="error", inner_error=None)
    return json.dumps({"error": error}).encode()


def translate_error(status: int, raw: bytes) -> bytes:
    """The core's OpenAI envelope as Azure's. An unknown route is the front door's 404."""
    try:
        error = json.loads(raw)["error"]
        message = str(error.get("message") or "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return raw
    if status == 404 and message.startswith("Invalid URL"):
        return front_door_body("404", "Resource not found")
    code = error.get("code")
    if code in _FRONT_DOOR:  # answered before the service: code and message only
        return front_door_body(str(code), message)
    if status == 404 and code is None:
        code = "notFound"
    if status == 429:  # Azure's rate limits answer with the status as the code
        code = "429"
    param = error.get("param")
    return azure_error_body(status, code, message, param if isinstance(param, str) else None)


def translate_jobs(raw: bytes) -> tuple[bytes, str | None]:
    """Dated API: jobs OpenAI reports as validating_files/queued read `pending`. Returns the body and the
    id of the single job it holds (None for a list)."""
    try:
        body: Any = json.loads(raw)
    except ValueError:
        return raw, None
    items = body.get("data") if isinstance(body, dict) and body.get("object") == "list" else [body]
    changed = False
    for item in items if isinstance(items, list) else []:
        is_job = isinstance(item, dict) and item.get("object") == "fine_tuning.job"
        if is_job and item.get("status") in _QUEUED:
            item["status"] = "pending"
            changed = True
    single = body.get("id") if isinstance(body, dict) and body.get("object") == "fine_tuning.job" else None
    return (json.dumps(body).encode() if changed else raw), single


_SAFE = {"filtered": False, "severity": "safe"}
_FILTERS = {"hate": _SAFE, "self_harm": _SAFE, "sexual": _SAFE, "violence": _SAFE}


def add_content_filters(raw: bytes) -> bytes:
    """Azure's content filtering results on a chat completion: `prompt_filter_results` for the prompt and
    `content_filter_results` on each choice, all `safe` (the emulator filters nothing). Shapes as in
    https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter (response examples)."""
    try:
        body: Any = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(body, dict) or body.get("object") != "chat.completion":
        return raw
    body["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": dict(_FILTERS)}]
    for choice in body.get("choices") or []:
        if isinstance(choice, dict):
            choice["content_filter_results"] = dict(_FILTERS)
    return json.dumps(body).encode()
