"""Web sessions: a browser's login, kept server-side so it can be ended at once.

The cookie holds a random secret; the database keeps its sha256, the user, the
session's CSRF token, and the user's ``session_epoch`` at login. A session
ends when the user logs out, when it goes unused for ``idle`` seconds or
reaches ``max_age`` seconds, and at once when the password changes or the
account is disabled (both bump the epoch) or deleted (the row goes with it).

Each request checks the session in the database, as tokens are: nothing is
cached, so an ended session is refused on the very next request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from ishcd import exceptions
from ishcd.db import sessions as sessions_db
from ishcd.db.database import Connection, Database
from ishcd.db.sessions import SessionRecord
from ishcd.db.users import UserRecord
from ishcd.services.principal import Caller
from ishcd.settings import Settings

# last_seen is written at most this often per session, not on every request.
TOUCH_EVERY = 60.0
SECRET_MAX = 128


@dataclass(frozen=True, slots=True)
class Limits:
    idle: float
    max_age: float

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.session_idle_seconds, settings.session_max_seconds)


@dataclass(frozen=True, slots=True)
class WebSession:
    """A live session: who it is for and the token its unsafe requests must carry."""

    secret_hash: str
    csrf_token: str
    caller: Caller
    user: UserRecord
    stale: bool  # last_seen should be written


@dataclass(frozen=True, slots=True)
class Started:
    secret: str  # for the cookie; never stored
    csrf_token: str


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def start_session(conn: Connection, user: UserRecord, ip: str | None) -> Started:
    """A new session for ``user`` (who has just proved who they are)."""
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = time.time()
    record = SessionRecord(
        secret_hash=secret_hash(secret),
        user_id=user.id,
        csrf_token=csrf,
        epoch=user.session_epoch,
        created=now,
        last_seen=now,
        ip=None if ip is None else ip[:64],
    )
    await sessions_db.insert_session(conn, record)
    return Started(secret, csrf)


async def find_session(
    conn: Connection, secret: str, limits: Limits, ip: str | None
) -> WebSession | None:
    """The live session a cookie's secret belongs to; None if there is none (any more)."""
    if not secret or len(secret) > SECRET_MAX:
        return None
    found = await sessions_db.get_session(conn, secret_hash(secret))
    if found is None:
        return None
    session, user = found
    now = time.time()
    if (
        user.disabled
        or session.epoch != user.session_epoch
        or now - session.last_seen > limits.idle
        or now - session.created > limits.max_age
    ):
        return None
    caller = Caller(user.id, user.username, user.is_admin, ip=ip)
    stale = now - session.last_seen > TOUCH_EVERY
    return WebSession(session.secret_hash, session.csrf_token, caller, user, stale)


async def touch_session(db: Database, session: WebSession) -> None:
    async with db.transaction() as conn:
        await sessions_db.touch_session(conn, session.secret_hash, time.time())


async def end_session(conn: Connection, secret: str) -> None:
    """Log out: the session stops working at once (nothing if there is none)."""
    if secret and len(secret) <= SECRET_MAX:
        await sessions_db.delete_session(conn, secret_hash(secret))


async def sweep_sessions(conn: Connection, limits: Limits, now: float | None = None) -> int:
    """Delete the rows of sessions that have ended by age; how many."""
    at = time.time() if now is None else now
    return await sessions_db.delete_stale_sessions(conn, at - limits.idle, at - limits.max_age)


def _matches(session: WebSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(str(sent).encode(), session.csrf_token.encode())


def check_csrf(session: WebSession, sent: str | None) -> None:
    """403 unless ``sent`` (an API request's header) is the session's CSRF token."""
    if not _matches(session, sent):
        raise exceptions.Forbidden(
            "a request made with a login session must carry its CSRF token "
            "(X-CSRF-Token header, from GET /rest/session/token)"
        )


def check_csrf_form(session: WebSession, sent: str | None) -> None:
    """403 unless a form's ``csrf_token`` field is the session's CSRF token."""
    if not _matches(session, sent):
        raise exceptions.Forbidden(
            "the form's CSRF token is missing or out of date: reload the page and try again"
        )
