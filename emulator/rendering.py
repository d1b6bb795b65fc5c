"""Turning exceptions into OpenAI's error envelope: the one error path of the emulator."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import APIError, ServerError, invalid_url

__all__ = ["error_response", "handle_api_error", "handle_http_exception", "handle_unexpected"]

log = logging.getLogger("emulator")


def error_response(exc: APIError) -> JSONResponse:
    return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=exc.headers)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return error_response(exc)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 become OpenAI's `Invalid URL`; other HTTP errors keep their status."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        return error_response(invalid_url(request.method, request.url.path))
    return error_response(APIError(str(exc.detail), status_code=exc.status_code))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(ServerError("The server had an error while processing your request. Sorry about that!"))
