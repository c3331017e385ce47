"""Accounts: creating users, reading and changing one's own account."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ishcd import exceptions
from ishcd.db import users as users_db
from ishcd.db.database import Connection
from ishcd.db.users import UserRecord
from ishcd.keys import Keys
from ishcd.services import ids, tokens
from ishcd.services.principal import Caller

USERNAME_RULE = "1 to 64 characters: letters, digits, '.', '-', '_'"


def valid_username(username: str) -> bool:
    return (
        0 < len(username) <= 64
        and username[0].isalnum()
        and all(c.isalnum() or c in ".-_" for c in username)
        and username.isascii()
    )


async def create_user(
    conn: Connection,
    username: str,
    *,
    password_hash: str | None,
    is_admin: bool = False,
    name: str | None = None,
    email: str | None = None,
) -> UserRecord:
    """Create an account; the password arrives hashed (hash it before the transaction)."""
    if not valid_username(username):
        raise exceptions.ValidationFailed.one("username", f"must be {USERNAME_RULE}")
    if await users_db.get_user_by_username(conn, username) is not None:
        raise exceptions.Conflict(f"user {username!r} already exists")
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
    )
    await users_db.insert_user(conn, user)
    return user


async def get_account(conn: Connection, caller: Caller) -> UserRecord:
    user = await users_db.get_user(conn, caller.user_id)
    if user is None:
        raise exceptions.Unauthorized("the account no longer exists")
    return user


async def update_account(conn: Connection, caller: Caller, changes: dict[str, Any]) -> UserRecord:
    """Change the caller's own name, email or username."""
    user = await get_account(conn, caller)
    values = {k: v for k, v in changes.items() if k in ("name", "email", "username")}
    username = values.get("username")
    if username is not None and username != user.username:
        if not valid_username(username):
            raise exceptions.ValidationFailed.one("username", f"must be {USERNAME_RULE}")
        if await users_db.get_user_by_username(conn, username) is not None:
            raise exceptions.Conflict(f"user {username!r} already exists")
    elif "username" in values:
        if username is None:
            raise exceptions.ValidationFailed.one("username", "must not be null")
        del values["username"]
    if values:
        values["changed"] = time.time()
        await users_db.update_user(conn, user.id, values)
    return await get_account(conn, caller)


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
    new = await tokens.create_token(conn, keys, user, "initial token")
    return FirstAdmin(user, password, new.token)
