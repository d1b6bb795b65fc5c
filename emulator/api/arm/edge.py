"""The Azure Resource Manager edge for the deployment routes: api-version, who is calling, which Azure
resource (tenant) the call is about, ARM's error envelope and headers, and the request journal.

ARM is a different wire from OpenAI's: errors are `{"error": {"code", "message"}}` (no type/param), request
ids are GUIDs in `x-ms-request-id`, and every call needs `?api-version=`. Sources (checked 2026-12-02):
- missing api-version: 400 MissingApiVersionParameter, "The api-version query parameter (?api-version=) is
  required for all requests." (https://github.com/MicrosoftDocs/feedback/issues/2279)
- unknown api-version: 400 NoRegisteredProviderFound, "No registered resource provider found for location …
  and API version … for type …" (ARM's wording; the emulator names no location)
- an Authorization header that is missing: 401 AuthenticationFailed; one that is not a well-formed bearer
  token: 401 InvalidAuthenticationToken (ARM's codes for the two cases)
- an account the emulator does not know: 404 ResourceNotFound, "The Resource
  'Microsoft.CognitiveServices/accounts/…' under resource group '…' was not found. For more details please go
  to https://aka.ms/ARMResourceNotFoundFix"
  (https://github.com/Azure/Medical-Claims-Transaction-Processing-at-scale/issues/22)

Tenancy (the emulator's rule, documented in the README): an `api-key` header names the Azure resource
directly (`Emulator.tenant(key, "azure")`, the same tenant the data plane uses for that key). Without one, the
caller must send `Authorization: Bearer <token>` where the token is JWT-shaped (three base64url parts); its
signature and claims are not checked. The `{account}` path segment then picks the key bound to that account
name (setting `azure_accounts`, `--azure-account NAME=KEY`, or `POST /_emulator/azure/accounts`).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...domain.journal import JournalEntry
from ...domain.state import Emulator, Tenant
from ...errors import APIError
from ...ids import HEX
from ..azure.envelope import guid
from ..common import analyses_ready, emulator

__all__ = ["ArmError", "ArmHandler", "arm_endpoint", "arm_time", "not_found"]

FIRST_API_VERSION = "2021-10-01"  # the first Microsoft.CognitiveServices API with accounts/deployments
_VERSION = re.compile(r"^(\d{4}-\d{2}-\d{2})(-preview)?$")
_JWT_PART = r"[A-Za-z0-9_-]+={0,2}"
_JWT = re.compile(rf"^{_JWT_PART}\.{_JWT_PART}\.{_JWT_PART}$")


class ArmError(APIError):
    """An error in ARM's envelope: code and message only."""

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


def _envelope(exc: APIError) -> JSONResponse:
    """Any APIError raised below the ARM routes (the domain's 400s included) in ARM's envelope."""
    return JSONResponse(
        {"error": {"code": exc.code or "BadRequest", "message": exc.message}},
        status_code=exc.status_code,
        headers=exc.headers,
    )


def not_found(resource: str, group: str) -> ArmError:
    return ArmError(
        f"The Resource '{resource}' under resource group '{group}' was not found. For more details please go "
        "to https://aka.ms/ARMResourceNotFoundFix",
        code="ResourceNotFound",
        status_code=404,
    )


def _check_api_version(request: Request) -> str:
    version = request.query_params.get("api-version")
    if not version:
        raise ArmError(
            "The api-version query parameter (?api-version=) is required for all requests.",
            code="MissingApiVersionParameter",
            status_code=400,
        )
    match = _VERSION.match(version)
    valid_date = False
    if match:
        try:
            dt.date.fromisoformat(match.group(1))
            valid_date = True
        except ValueError:
            pass
    if not valid_date:
        raise ArmError(
            f"The api-version '{version}' is invalid. The supported versions are dates in the form "
            "YYYY-MM-DD, optionally followed by '-preview'.",
            code="InvalidApiVersionParameter",
            status_code=400,
        )
    if version[:10] < FIRST_API_VERSION:
        raise ArmError(
            f"No registered resource provider found for API version '{version}' and type "
            "'accounts/deployments'. "
            f"The supported api-versions are those from '{FIRST_API_VERSION}' on.",
            code="NoRegisteredProviderFound",
            status_code=400,
        )
    return version


def _caller_tenant(request: Request, em: Emulator) -> Tenant:
    """The Azure tenant: by `api-key`, else by the account bound to a key (a bearer token is required)."""
    key = request.headers.get("api-key")
    if key:
        return em.tenant(key, "azure")
    authorization = request.headers.get("authorization")
    if not authorization:
        raise ArmError(
            "Authentication failed. The 'Authorization' header is missing.",
            code="AuthenticationFailed",
            status_code=401,
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not _JWT.match(token.strip()):
        raise ArmError("The access token is invalid.", code="InvalidAuthenticationToken", status_code=401)
    account, group = request.path_params["account"], request.path_params["group"]
    bound = em.azure_accounts.key_for(account)
    if bound is None:
        raise not_found(f"Microsoft.CognitiveServices/accounts/{account}", group)
    return em.tenant(bound, "azure")


def _request_id(tenant: Tenant | None, em: Emulator) -> str:
    """A GUID, as ARM's x-ms-request-id is, from the tenant's id sequence (deterministic)."""
    return guid((tenant.ids if tenant is not None else em.ids).token("arm-request", 32, HEX))


def arm_time(seconds: float) -> str:
    """ARM's timestamp format: UTC, seven fractional digits, Z."""
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


ArmHandler = Callable[[Request, Tenant], Awaitable[tuple[int, dict[str, Any] | None]]]


def arm_endpoint(handler: ArmHandler) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint around `handler` (which answers a status and a JSON body, or None for none):
    checks api-version and the caller, renders errors in ARM's envelope, adds ARM's headers, journals."""

    async def endpoint(request: Request) -> Response:
        em = emulator(request)
        started = time.perf_counter()
        tenant: Tenant | None = None
        try:
            _check_api_version(request)
            tenant = _caller_tenant(request, em)
            await analyses_ready(tenant, now=em.now())  # as on the data planes: finished jobs are known
            status, body = await handler(request, tenant)
            response: Response = (
                JSONResponse(body, status_code=status) if body is not None else Response(status_code=status)
            )
        except APIError as exc:
            response = _envelope(exc)
        request_id = _request_id(tenant, em)
        response.headers["x-ms-request-id"] = request_id
        response.headers["x-ms-correlation-request-id"] = request_id
        em.journal.record(
            JournalEntry(
                method=request.method,
                path=request.url.path,
                query=dict(request.query_params),
                body=getattr(request.state, "journal_body", None),
                status=response.status_code,
                request_id=request_id,
                timestamp=em.now(),
                organization=tenant.organization.id if tenant else None,
                latency_ms=round((time.perf_counter() - started) * 1000, 1),
            )
        )
        return response

    return endpoint
