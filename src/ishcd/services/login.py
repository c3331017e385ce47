"""Logging in with a password, and changing it; both slowed down after failures.

Failures are counted per user name, whether or not such a user exists, and
every answer to a wrong name or password is the same, as slow as a real
password check: nothing tells an existing account from a missing one. After
``FREE_FAILURES`` failures in a row, each further one locks the name for
twice as long as the last (1 s, 2 s, 4 s … up to 15 minutes); while locked,
attempts are refused with 429 and a Retry-After. A success clears the count,
and failures older than an hour are forgotten.

These functions take the database, not a connection: checking a password
takes tens of milliseconds off the event loop, which no transaction should
span.
"""

from __future__ import annotations

import math
import time

from ishcd import exceptions
from ishcd.db import logins as logins_db
from ishcd.db import users as users_db
from ishcd.db.database import Database
from ishcd.db.logins import FailureRecord
from ishcd.db.users import UserRecord
from ishcd.keys import Keys
from ishcd.services import audit, auth, passwords
from ishcd.services.principal import Caller

FREE_FAILURES = 5
LONGEST_LOCK = 900.0
FORGET_AFTER = 3600.0
WRONG = "wrong user name or password"


def _key(username: str) -> str:
    return username.lower()[:64]


async def _check_not_locked(db: Database, username: str) -> None:
    async with db.read() as conn:
        failures = await logins_db.get_failures(conn, _key(username))
    now = time.time()
    if failures is not None and failures.locked_until is not None and failures.locked_until > now:
        wait = math.ceil(failures.locked_until - now)
        raise exceptions.TooManyRequests(
            f"too many failed attempts for this user name; try again in {wait} s", wait
        )


async def _record_failure(
    db: Database, username: str, caller: Caller | None, ip: str | None
) -> None:
    now = time.time()
    async with db.transaction() as conn:
        before = await logins_db.get_failures(conn, _key(username))
        count = 1
        if before is not None and now - before.last_failure < FORGET_AFTER:
            count = before.failures + 1
        locked_until = None
        if count > FREE_FAILURES:
            locked_until = now + min(2.0 ** (count - FREE_FAILURES - 1), LONGEST_LOCK)
        record = FailureRecord(_key(username), count, now, locked_until)
        await logins_db.save_failures(conn, record, existed=before is not None)
        details = {"username": username, "failures": count}
        await audit.record(conn, caller, "login.failed", details=details, ip=ip)


async def log_in(db: Database, keys: Keys, username: str, password: str, ip: str | None) -> str:
    """A 12-hour JWT for the right user name and password."""
    user = await check_login(db, username, password, ip)
    return auth.session_jwt(keys, user.id, None, epoch=user.session_epoch)


async def check_login(db: Database, username: str, password: str, ip: str | None) -> UserRecord:
    """The account with this user name and password (401 otherwise, 429 while locked)."""
    await _check_not_locked(db, username)
    async with db.read() as conn:
        user = await users_db.get_user_by_username(conn, username)
    hashed = user.password_hash if user is not None else None
    matches = await passwords.verify_password(hashed, password)
    if user is None or not matches or user.disabled:
        await _record_failure(db, username, None, ip)
        raise exceptions.Unauthorized(WRONG)
    async with db.transaction() as conn:
        await logins_db.clear_failures(conn, _key(username))
        caller = Caller(user.id, user.username, user.is_admin, ip=ip)
        await audit.record(conn, caller, "login")
    return user


async def check_current_password(db: Database, caller: Caller, current: str | None) -> None:
    """Before a password change: the caller's current one (throttled like a login)."""
    if current is None:
        raise exceptions.ValidationFailed.one("current_password", "is required to set a password")
    await _check_not_locked(db, caller.username)
    async with db.read() as conn:
        user = await users_db.get_user(conn, caller.user_id)
    if user is None:
        raise exceptions.Unauthorized("the account no longer exists")
    if not await passwords.verify_password(user.password_hash, current):
        await _record_failure(db, caller.username, caller, caller.ip)
        raise exceptions.ValidationFailed.one("current_password", "is not your password")
    async with db.transaction() as conn:
        await logins_db.clear_failures(conn, _key(caller.username))
