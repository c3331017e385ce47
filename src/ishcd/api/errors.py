"""Domain errors and request validation mapped to HTTP, in this one place.

Every error answer is ``{"message": "...", "errors": [{"field", "message"}]}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from ishcd import exceptions
from ishcd.api import boundary
from ishcd.api.schemas.common import NUL_ERROR

STATUS: dict[type[exceptions.IshError], int] = {
    exceptions.BadRequest: 400,
    exceptions.Unauthorized: 401,
    exceptions.Forbidden: 403,
    exceptions.NotFound: 404,
    exceptions.Conflict: 409,
    exceptions.Gone: 410,
    exceptions.UnsupportedMediaType: 415,
    exceptions.ValidationFailed: 422,
    exceptions.TooManyRequests: 429,
    exceptions.Unavailable: 503,
}
# An error message (or one field's) is cut to this many characters.
MESSAGE_CHARS = 2000

DESCRIPTIONS = {
    400: "Malformed request (e.g. a body that is not JSON)",
    401: "No credentials, or bad ones",
    403: "Visible, but your role does not allow this; or, with a login session instead of "
    "`Authorization`, an unsafe request without the session's `X-CSRF-Token`",
    404: "Not found, or not visible to you",
    409: "Conflicts with the current state (e.g. a machine name that is taken)",
    410: "Removed for good (e.g. a run's log deleted after its retention); the run stays",
    413: "The request body is larger than the server's limit (`max_body_bytes`)",
    422: "Validation failed; `errors` names each field (the first 20, and the message says "
    "how many more)",
    429: "Too many failed attempts; try again after `Retry-After` seconds",
    500: "An unexpected error; the server closes the connection after this answer",
    503: "The database is unavailable; try again after `Retry-After` seconds "
    "(the server closes the connection after this answer)",
}


class FieldErrorOut(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """Every error answer."""

    message: str
    errors: list[FieldErrorOut]


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route can give."""
    return {code: {"model": ErrorOut, "description": DESCRIPTIONS[code]} for code in codes}


def status_of(exc: exceptions.IshError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_response(
    status: int, message: str, errors: list[dict[str, str]] | None = None
) -> JSONResponse:
    """An error answer; never larger than ``LISTED`` short errors, whatever was sent."""
    headers = {"WWW-Authenticate": 'Bearer realm="ishcd"'} if status == 401 else None
    listed = [
        {
            "field": exceptions.shorten(e["field"]),
            "message": exceptions.shorten(e["message"], MESSAGE_CHARS),
        }
        for e in (errors or [])[: exceptions.LISTED]
    ]
    return JSONResponse(
        {"message": exceptions.shorten(message, MESSAGE_CHARS), "errors": listed},
        status_code=status,
        headers=headers,
    )


def _field(loc: tuple[Any, ...]) -> str:
    """A dotted field path from a pydantic location: ("body", "env", "X") -> "env.X"."""
    where, *parts = loc or ("body",)
    if where == "header" and parts:
        return str(parts[-1]).replace("_", "-").title()
    if where not in ("body", "query", "path"):
        parts = [where, *parts]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def field_of(problem: Any) -> str:
    field = _field(tuple(problem["loc"]))
    if problem.get("type") == NUL_ERROR:
        field += problem.get("ctx", {}).get("below", "")
    return field


async def _ish_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, exceptions.IshError)
    response = error_response(status_of(exc), exc.message, [e.as_dict() for e in exc.errors])
    if isinstance(exc, exceptions.TooManyRequests | exceptions.Unavailable):
        response.headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, exceptions.Unavailable):
        # Another server behind the load balancer may answer: let the client reconnect.
        response.headers["Connection"] = "close"
    return response


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = exc.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return error_response(400, "the request body is not valid JSON")
    failed = exceptions.ValidationFailed.many(
        "invalid input",
        [exceptions.FieldError(field_of(p), p["msg"]) for p in problems],
    )
    return error_response(422, failed.message, [e.as_dict() for e in failed.errors])


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "error"
    response = error_response(exc.status_code, message)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def unexpected_response() -> JSONResponse:
    """The answer to a bug: no detail, and the connection is closed after it."""
    response = error_response(500, "internal server error")
    response.headers["Connection"] = "close"
    return response


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Only for errors raised outside ``boundary.ErrorBoundary``, which answers the rest.
    return unexpected_response()


def install(app: FastAPI) -> None:
    app.add_exception_handler(exceptions.IshError, _ish_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(boundary.ErrorBoundary, answer=unexpected_response)
