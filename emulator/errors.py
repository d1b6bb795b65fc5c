"""OpenAI's error envelope as exceptions: raise anywhere, rendered once at the HTTP edge.

    APIError                     (any status; the envelope {"error": {message, type, param, code}})
    ├── InvalidRequestError      400 invalid_request_error
    ├── AuthenticationError      401 invalid_request_error
    ├── PermissionDeniedError    403 invalid_request_error
    ├── NotFoundError            404 invalid_request_error
    ├── ConflictError            409 invalid_request_error
    ├── PayloadTooLargeError     413 server_error (what OpenAI sends for an oversized body)
    ├── RateLimitError           429 requests | tokens | insufficient_quota
    └── ServerError              500 server_error
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConflictError",
    "InvalidRequestError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "invalid_json",
    "invalid_url",
    "no_such_object",
    "payload_too_large",
]

_UNSET: Any = object()


class APIError(Exception):
    status_code = 400
    type = "invalid_request_error"
    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = _UNSET,
        type: str | None = None,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not _UNSET:
            self.code = code
        if type is not None:
            self.type = type
        if status_code is not None:
            self.status_code = status_code
        self.headers = dict(headers or {})

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class InvalidRequestError(APIError):
    status_code = 400


class AuthenticationError(APIError):
    status_code = 401


class PermissionDeniedError(APIError):
    status_code = 403


class NotFoundError(APIError):
    status_code = 404


class ConflictError(APIError):
    status_code = 409


class PayloadTooLargeError(APIError):
    status_code = 413
    type = "server_error"


class RateLimitError(APIError):
    status_code = 429
    type = "requests"
    code = "rate_limit_exceeded"


class ServerError(APIError):
    status_code = 500
    type = "server_error"


def invalid_url(method: str, path: str) -> NotFoundError:
    return NotFoundError(f"Invalid URL ({method} {path})")


def no_such_object(kind: str, object_id: str, param: str = "id") -> NotFoundError:
    return NotFoundError(f"No such {kind} object: {object_id}", param=param)


def payload_too_large(limit: int, seen: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"Maximum content size limit ({limit}) exceeded ({seen} bytes read)")


def invalid_json() -> InvalidRequestError:
    return InvalidRequestError(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
        "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. "
        "If you have trouble figuring out how to fix this, please contact us through our help center at "
        "help.openai.com.)"
    )
