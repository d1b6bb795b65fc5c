"""Which Azure OpenAI data-plane calls are well-formed: the path style and the `api-version` rules.

Azure serves two styles on one endpoint (https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle):
the GA v1 API at `/openai/v1/...`, where `api-version` is optional (`v1` or `preview`), and the dated API at
`/openai/...?api-version=YYYY-MM-DD[-preview]`, where it is required. The refusals are the front door's:
without a version the dated API answers 404 `{"error":{"code":"404","message":"Resource not found"}}`
(openai/openai-python#362), with an unknown one 400 `{"error":{"code":"BadRequest","message":"API version
not supported"}}` (openai/codex#3725).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urlencode

__all__ = ["DATED_VERSIONS", "V1_VERSIONS", "AzureCall", "VersionRefused", "classify"]

Style = Literal["v1", "dated"]

V1_VERSIONS = frozenset({"v1", "preview"})
# The published dated versions (GA and preview) of the data plane, from Azure's API version lifecycle page.
DATED_VERSIONS = frozenset(
    {
        "2022-12-01", "2023-05-15", "2024-02-01", "2024-06-01", "2024-10-21",
        "2022-03-01-preview", "2022-06-01-preview", "2023-03-15-preview", "2023-06-01-preview",
        "2023-07-01-preview", "2023-08-01-preview", "2023-09-01-preview", "2023-10-01-preview",
        "2023-12-01-preview", "2024-02-15-preview", "2024-03-01-preview", "2024-04-01-preview",
        "2024-05-01-preview", "2024-07-01-preview", "2024-08-01-preview", "2024-09-01-preview",
        "2024-10-01-preview", "2024-12-01-preview", "2025-01-01-preview", "2025-02-01-preview",
        "2025-03-01-preview", "2025-04-01-preview",
    }
)
# OpenAI endpoints Azure's data plane does not have: the front door's 404 (webhooks, moderations, the
# retired fine-tunes API, checkpoint permissions).
_NOT_ON_AZURE = re.compile(
    r"^/(webhook_endpoints|webhook_event_types|moderations|fine-tunes)(/|$)|^/fine_tuning/checkpoints/"
)
# Inference the SDK sends under `/deployments/{name}` (openai/lib/azure.py `_deployments_endpoints`) that
# the emulator answers.
DEPLOYMENT_OPERATIONS = ("/chat/completions", "/completions")


class VersionRefused(Exception):
    """The front door refused the call before any service saw it (no tenant, no journal of its own)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class AzureCall:
    """One Azure data-plane request, understood: its style, version and the `/v1` route that serves it."""

    style: Style
    api_version: str | None
    path: str  # the /v1/... route of the shared core
    query: bytes  # the query without `api-version`
    deployment: str | None = None  # the deployment named in the path (`/deployments/{name}/...`)
    original_path: str = ""

    @property
    def dated(self) -> bool:
        return self.style == "dated"

    @property
    def base(self) -> str:
        """The prefix the caller used, for links such as `Location`."""
        return "/openai/v1" if self.style == "v1" else "/openai"


def classify(path: str, query: bytes) -> AzureCall:
    """Understand `/openai/...`, or raise VersionRefused with the front door's answer."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    versions = [v for k, v in pairs if k == "api-version"]
    rest = [(k, v) for k, v in pairs if k != "api-version"]
    version = versions[-1] if versions else None
    if path == "/openai/v1" or path.startswith("/openai/v1/"):
        style: Style = "v1"
        tail = path[len("/openai/v1"):]
        if version is not None and version not in V1_VERSIONS:
            raise VersionRefused(400, "BadRequest", "API version not supported")
    else:
        style = "dated"
        tail = path[len("/openai"):]
        if not version:
            raise VersionRefused(404, "404", "Resource not found")
        if version not in DATED_VERSIONS:
            raise VersionRefused(400, "BadRequest", "API version not supported")
    if _NOT_ON_AZURE.match(tail):
        raise VersionRefused(404, "404", "Resource not found")
    deployment = None
    if tail.startswith("/deployments/"):
        name, _, operation = tail[len("/deployments/"):].partition("/")
        if not name or "/" + operation not in DEPLOYMENT_OPERATIONS:
            raise VersionRefused(404, "404", "Resource not found")
        deployment, tail = name, "/" + operation
    return AzureCall(style, version, "/v1" + tail, urlencode(rest).encode(), deployment, path)
