"""Accounts: site admins manage users; everyone reads and changes their own."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ishcd import exceptions
from ishcd.db import projects as projects_db
from ishcd.db import users as users_db
from ishcd.db.database import Connection
from ishcd.db.users import UserRecord
from ishcd.keys import Keys
from ishcd.services import access, audit, ids, tokens
from ishcd.services.principal import Caller

USERNAME_RULE = (
    "1 to 64 characters: letters, digits, '.', '-', '_', starting with a letter or digit"
)


def valid_username(username: str) -> bool:
    return (
        0 < len(username) <= 64
        and username.isascii()
        and username[0].isalnum()
        and all(c.isalnum() or c in ".-_" for c in username)
    )


async def _check_new_username(conn: Connection, username: str) -> None:
    if not valid_username(username):
        raise exceptions.ValidationFailed.one("username", f"must be {USERNAME_RULE}")
    if await users_db.get_user_by_username(conn, username) is not None:
        raise exceptions.Conflict(f"user {username!r} already exists")


async def create_user(
    conn: Connection,
    username: str,
    *,
    password_hash: str | None,
    is_admin: bool = False,
    name: str | None = None,
    email: str | None = None,
    caller: Caller | None = None,
    via: str | None = None,
) -> UserRecord:
    """Create an account; the password arrives hashed (hash it before the transaction).

    ``via`` names the local command that did it, for the audit log.
    """
    await _check_new_username(conn, username)
    now = time.time()
    user = UserRecord(
        id=ids.new_id(),
        username=username,
        name=name,
        email=email,
        password_hash=password_hash,
        is_admin=is_admin,
        disabled=False,
        created=now,
        changed=now,
        session_epoch=0,
    )
    await users_db.insert_user(conn, user)
    details: dict[str, object] = {"is_admin": is_admin}
    if via is not None:
        details["via"] = via
    await audit.record(conn, caller, "user.create", target=_target(user), details=details)
    return user


async def get_account(conn: Connection, caller: Caller) -> UserRecord:
    access.require_account(caller)
    user = await users_db.get_user(conn, caller.user_id)
    if user is None:
        raise exceptions.Unauthorized("the account no longer exists")
    return user


async def update_account(
    conn: Connection,
    caller: Caller,
    changes: dict[str, Any],
    password_hash: str | None = None,
) -> UserRecord:
    """Change the caller's own user name, name, email, and password (already hashed,
    after ``login.check_current_password``); a new password ends earlier logins."""
    user = await get_account(conn, caller)
    values = {k: v for k, v in changes.items() if k in ("name", "email", "username")}
    if "username" in values:
        if values["username"] is None:
            raise exceptions.ValidationFailed.one("username", "must not be null")
        if values["username"] == user.username:
            del values["username"]
        else:
            await _check_new_username(conn, values["username"])
    if values:
        values["changed"] = time.time()
        await users_db.update_user(conn, user.id, values)
        details = {"fields": sorted(set(values) - {"changed"})}
        await audit.record(conn, caller, "account.update", target=_target(user), details=details)
    if password_hash is not None:
        values = {
            "password_hash": password_hash,
            "changed": time.time(),
            "session_epoch": user.session_epoch + 1,  # logins made before end
        }
        await users_db.update_user(conn, user.id, values)
        await audit.record(conn, caller, "account.password", target=_target(user))
    return await get_account(conn, caller)


async def list_users(conn: Connection, caller: Caller, limit: int, offset: int) -> list[UserRecord]:
    access.require_site_admin(caller)
    return await users_db.list_users(conn, limit, offset)


async def get_user(conn: Connection, caller: Caller, user_ish: str) -> UserRecord:
    """A user by id or user name (site admins)."""
    access.require_site_admin(caller)
    user = None
    if ids.looks_like_uuid(user_ish):
        user = await users_db.get_user(conn, user_ish)
    if user is None:
        user = await users_db.get_user_by_username(conn, user_ish)
    if user is None:
        raise exceptions.NotFound(f"user {user_ish!r} not found")
    return user


async def _keep_an_admin(conn: Connection, user: UserRecord) -> None:
    """Refuse to take away the last active site admin."""
    if user.is_admin and not user.disabled and await users_db.count_active_admins(conn) <= 1:
        raise exceptions.Conflict(f"{user.username!r} is the last site admin")


async def update_user(
    conn: Connection, caller: Caller, user_ish: str, changes: dict[str, Any]
) -> UserRecord:
    """Disable or enable, make or unmake admin, rename, set a password (site admins)."""
    user = await get_user(conn, caller, user_ish)
    editable = ("username", "name", "email", "is_admin", "disabled", "password_hash")
    values = {k: v for k, v in changes.items() if k in editable}
    for flag in ("is_admin", "disabled", "username"):
        if flag in values and values[flag] is None:
            raise exceptions.ValidationFailed.one(flag, "must not be null")
    if values.get("username") not in (None, user.username):
        await _check_new_username(conn, values["username"])
    if values.get("disabled") or values.get("is_admin") is False:
        await _keep_an_admin(conn, user)
    if values:
        values["changed"] = time.time()
        if "password_hash" in values:
            values["session_epoch"] = user.session_epoch + 1  # logins made before end
        await users_db.update_user(conn, user.id, values)
        fields = sorted(set(values) - {"changed", "password_hash", "session_epoch"})
        if "password_hash" in values:
            fields.append("password")
        action = "user.disable" if values.get("disabled") else "user.update"
        details = {"fields": fields}
        await audit.record(conn, caller, action, target=_target(user), details=details)
    return await get_user(conn, caller, user.id)


async def delete_user(conn: Connection, caller: Caller, user_ish: str) -> None:
    """Delete an account with its tokens and credentials (site admins).

    Refused while it is the last site admin, or the last admin of a project.
    """
    user = await get_user(conn, caller, user_ish)
    await _keep_an_admin(conn, user)
    orphaned = await projects_db.projects_where_last_admin(conn, user.id)
    if orphaned:
        names = ", ".join(p.machine_name for p in orphaned)
        raise exceptions.Conflict(
            f"{user.username!r} is the last admin of {names}: make someone else admin first"
        )
    await users_db.delete_user(conn, user.id)
    await audit.record(conn, caller, "user.delete", target=_target(user))


@dataclass(frozen=True)
class FirstAdmin:
    user: UserRecord
    password: str
    token: str


async def count_users(conn: Connection) -> int:
    return await users_db.count_users(conn)


async def create_first_admin(
    conn: Connection, keys: Keys, password: str, password_hash: str
) -> FirstAdmin | None:
    """On a server with no users: create ``admin`` and an API token for it."""
    if await users_db.count_users(conn) > 0:
        return None
    user = await create_user(conn, "admin", password_hash=password_hash, is_admin=True)
    new = await tokens.mint(conn, keys, user.id, "initial token")
    return FirstAdmin(user, password, new.token)


def _target(user: UserRecord) -> tuple[str, str, str]:
    return ("user", user.id, user.username)
