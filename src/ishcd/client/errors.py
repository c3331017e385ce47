"""The client's one error hierarchy, rooted at :class:`ClientError`.

An answer with an error status becomes an :class:`ApiError` subclass chosen by
the status (``error_from_response``), carrying the server's ``message`` and
per-field ``errors``. A class's docstring is its default message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class ClientError(Exception):
    """The Ish CD client failed."""

    def __init__(self, message: str | None = None):
        self.message = message or (self.__doc__ or "").strip()
        super().__init__(self.message)


class ConnectionFailed(ClientError):
    """Could not reach the Ish CD server."""


class UnexpectedResponse(ClientError):
    """The server's answer is not what the Ish CD API sends."""


class WaitTimeout(ClientError, TimeoutError):
    """The run did not finish in time."""

    def __init__(self, message: str | None = None, last: Any = None):
        super().__init__(message)
        self.last = last  # what the last poll saw: for a run, the Run


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; ``field`` is a dotted path like ``env.NAME``."""

    field: str
    message: str


class ApiError(ClientError):
    """The server answered with an error."""

    status: int = 0

    def __init__(
        self,
        message: str | None = None,
        errors: list[FieldError] | None = None,
        *,
        status: int | None = None,
    ):
        super().__init__(message)
        self.errors = errors or []
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        details = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        return f"{self.message} ({details})" if details else self.message


class BadRequest(ApiError):
    """The request is malformed."""

    status = 400


class Unauthorized(ApiError):
    """Missing or invalid credentials."""

    status = 401


class Forbidden(ApiError):
    """You may see this resource but not do that."""

    status = 403


class NotFound(ApiError):
    """Not found, or not visible to you."""

    status = 404


class Conflict(ApiError):
    """The request conflicts with the current state."""

    status = 409


class ValidationFailed(ApiError):
    """Validation failed."""

    status = 422


class ServerError(ApiError):
    """The server failed."""

    status = 500


BY_STATUS: dict[int, type[ApiError]] = {
    cls.status: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, Conflict, ValidationFailed)
}


def _field_errors(items: Any) -> list[FieldError]:
    if not isinstance(items, list):
        return []
    return [
        FieldError(str(item.get("field", "")), str(item.get("message", "")))
        for item in items
        if isinstance(item, dict)
    ]


def error_from_response(response: httpx.Response) -> ApiError:
    """The exception for an error answer, from its ``{"message", "errors"}`` body."""
    status = response.status_code
    cls = BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return cls(body["message"], _field_errors(body.get("errors")), status=status)
    text = response.text.strip()[:200] if response.text else ""
    message = f"HTTP {status} {response.reason_phrase}".rstrip()
    return cls(f"{message}: {text}" if text else message, status=status)
