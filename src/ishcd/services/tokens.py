"""API tokens: minted as JWTs, stored as a hash, revocable.

An API token is a JWT signed with the server key whose ``jti`` is a random
secret; the database keeps only ``sha256(jti)``. Account tokens act with
their account's roles; project tokens work on one project only, with a role
no higher than their maker's (checked again on every use: ``auth.py``).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import jwt

from ishcd import exceptions
from ishcd.db import users as users_db
from ishcd.db.database import Connection
from ishcd.db.projects import ProjectRecord
from ishcd.db.users import TokenRecord
from ishcd.keys import Keys
from ishcd.services import access, audit, ids
from ishcd.services.principal import Caller

ISSUER = "ishcd"
DAY = 86400.0


@dataclass(frozen=True)
class NewToken:
    record: TokenRecord
    token: str  # the JWT, shown once


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def encode(keys: Keys, claims: dict[str, object]) -> str:
    return jwt.encode({"iss": ISSUER, **claims}, keys.jwt, algorithm="HS256")


async def mint(
    conn: Connection,
    keys: Keys,
    user_id: str,
    name: str,
    *,
    expires_in_days: int | None = None,
    project_id: str | None = None,
    role: str | None = None,
) -> NewToken:
    """Store a new token and return it with its JWT (shown once)."""
    secret = secrets.token_urlsafe(32)
    now = time.time()
    expires = None if expires_in_days is None else now + expires_in_days * DAY
    record = TokenRecord(
        id=ids.new_id(),
        user_id=user_id,
        name=name,
        secret_hash=secret_hash(secret),
        created=now,
        last_used=None,
        revoked=None,
        expires=expires,
        project_id=project_id,
        role=role,
    )
    await users_db.insert_token(conn, record)
    claims: dict[str, object] = {"sub": user_id, "typ": "api", "jti": secret, "iat": int(now)}
    if expires is not None:
        claims["exp"] = int(expires)
    return NewToken(record, encode(keys, claims))


async def create_token(
    conn: Connection, keys: Keys, caller: Caller, name: str, expires_in_days: int | None = None
) -> NewToken:
    """A named API token for the caller's account, valid until revoked or it expires."""
    access.require_account(caller)
    new = await mint(conn, keys, caller.user_id, name, expires_in_days=expires_in_days)
    await audit.record(conn, caller, "token.create", target=_target(new.record))
    return new


async def list_tokens(
    conn: Connection, caller: Caller, limit: int, offset: int
) -> list[TokenRecord]:
    access.require_account(caller)
    return await users_db.list_account_tokens(conn, caller.user_id, limit, offset)


async def revoke_token(conn: Connection, caller: Caller, token_id: str) -> None:
    access.require_account(caller)
    token = await users_db.get_token(conn, token_id)
    revoked = await users_db.revoke_account_token(conn, caller.user_id, token_id, time.time())
    if not revoked or token is None:
        raise exceptions.NotFound(f"token {token_id!r} not found")
    await audit.record(conn, caller, "token.revoke", target=_target(token))


async def create_project_token(
    conn: Connection,
    keys: Keys,
    caller: Caller,
    project_ish: str,
    *,
    name: str,
    role: access.Role,
    expires_in_days: int | None = None,
) -> tuple[ProjectRecord, NewToken]:
    """A token for one project, with ``role`` at most the maker's own (project admins)."""
    project = await access.project_for(conn, caller, project_ish, "admin")
    if caller.is_project_token and not access.allows(caller.project_role, role):
        raise exceptions.Forbidden(f"a {caller.project_role} token cannot make a {role} token")
    new = await mint(
        conn,
        keys,
        caller.user_id,
        name,
        expires_in_days=expires_in_days,
        project_id=project.id,
        role=role,
    )
    details = {"role": role}
    await audit.record(
        conn, caller, "token.create", project=project, target=_target(new.record), details=details
    )
    return project, new


async def list_project_tokens(
    conn: Connection, caller: Caller, project_ish: str, limit: int, offset: int
) -> tuple[ProjectRecord, list[TokenRecord]]:
    project = await access.project_for(conn, caller, project_ish, "admin")
    return project, await users_db.list_project_tokens(conn, project.id, limit, offset)


async def revoke_project_token(
    conn: Connection, caller: Caller, project_ish: str, token_id: str
) -> None:
    """Any admin of the project may revoke any of its tokens."""
    project = await access.project_for(conn, caller, project_ish, "admin")
    token = await users_db.get_token(conn, token_id)
    if token is None or not await users_db.revoke_project_token(
        conn, project.id, token_id, time.time()
    ):
        raise exceptions.NotFound(f"token {token_id!r} not found in this project")
    await audit.record(conn, caller, "token.revoke", project=project, target=_target(token))


async def touch_token(conn: Connection, token_id: str) -> None:
    await users_db.touch_token(conn, token_id, time.time())


def _target(token: TokenRecord) -> tuple[str, str, str]:
    return ("token", token.id, token.name)
