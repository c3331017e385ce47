"""The one error hierarchy of Ish CD's domain.

Services raise these; the API maps each class to an HTTP status in one place
(``ishcd.api.errors``). A class's docstring is its default message.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; ``field`` is a dotted path."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class IshError(Exception):
    """Something went wrong."""

    def __init__(self, message: str | None = None, errors: list[FieldError] | None = None):
        self.message = message or (self.__doc__ or "").strip()
        self.errors = errors or []
        super().__init__(self.message)


class BadRequest(IshError):
    """The request is malformed."""


class Unauthorized(IshError):
    """Missing or invalid credentials."""


class Forbidden(IshError):
    """You may see this resource but not do that."""


class NotFound(IshError):
    """Not found."""


class Gone(IshError):
    """It existed, and was removed for good (e.g. a log past its retention)."""


class Conflict(IshError):
    """The request conflicts with the current state."""


class ValidationFailed(IshError):
    """Validation failed."""

    @classmethod
    def one(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", [FieldError(field, message)])


class TooManyRequests(IshError):
    """Too many attempts; try again later."""

    def __init__(self, message: str | None = None, retry_after: int = 1):
        super().__init__(message)
        self.retry_after = retry_after


class InvalidTransition(Conflict):
    """The run cannot move to that status from its current one."""


class Unavailable(IshError):
    """The database is unavailable; try again shortly."""

    def __init__(self, message: str | None = None, retry_after: int = 5):
        super().__init__(message)
        self.retry_after = retry_after
