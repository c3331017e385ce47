"""The one error hierarchy of Ish CD's domain.

Services raise these; the API maps each class to an HTTP status in one place
(``ishcd.api.errors``). A class's docstring is its default message.
"""

from __future__ import annotations

from dataclasses import dataclass

# An error answer lists at most this many problems, and says how many more there are.
LISTED = 20
# ... and shows at most this much of a field's name (which may be a client's key).
NAME_CHARS = 100


def shorten(text: str, limit: int = NAME_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def listing(names: list[str]) -> str:
    """``a, b, c`` for the first ``LISTED`` names, then ``and N more``."""
    shown = ", ".join(shorten(name) for name in names[:LISTED])
    more = len(names) - LISTED
    return f"{shown} and {more} more" if more > 0 else shown


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


class UnsupportedMediaType(IshError):
    """The body is not in a form this endpoint reads."""


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

    @classmethod
    def many(cls, what: str, errors: list[FieldError]) -> ValidationFailed:
        """``what: field, field and N more``, listing every error in ``errors``."""
        return cls(f"{what}: {listing([e.field for e in errors])}", errors)


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


class Duplicate(Conflict):
    """Conflicts with existing data."""


class Unstorable(ValidationFailed):
    """A value is out of range or cannot be stored."""


class LogGap(Conflict):
    """A log append starts past the end of what was received: bytes are missing."""

    def __init__(self, offset: int, size: int):
        super().__init__(
            f"log append at byte {offset} leaves a gap: the log has {size} bytes; "
            f"send from byte {size}"
        )
        self.offset = offset
        self.size = size  # where the next append must start
