"""Queries on users and their API tokens."""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection, Row
from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import api_tokens, users


class UserRecord(NamedTuple):
    id: str
    username: str
    name: str | None
    email: str | None
    password_hash: str | None
    is_admin: bool
    disabled: bool
    created: float
    changed: float


class TokenRecord(NamedTuple):
    id: str
    user_id: str
    name: str
    secret_hash: str
    created: float
    last_used: float | None
    revoked: float | None


_SELECT_USER = sa.select(users)
_SELECT_TOKEN = sa.select(api_tokens)
check_columns(_SELECT_USER, UserRecord._fields)
check_columns(_SELECT_TOKEN, TokenRecord._fields)

_INSERT_USER = insert(users)
_USER_BY_ID = Query(_SELECT_USER.where(users.c.id == sa.bindparam("id")))
_USER_BY_NAME = Query(_SELECT_USER.where(users.c.username == sa.bindparam("username")))
_COUNT_USERS = Query(sa.select(sa.func.count()).select_from(users))


def _user(row: Row | None) -> UserRecord | None:
    return None if row is None else UserRecord._make(row)


async def insert_user(conn: Connection, user: UserRecord) -> None:
    await conn.execute(_INSERT_USER, **user._asdict())


async def get_user(conn: Connection, user_id: str) -> UserRecord | None:
    return _user(await conn.fetch_one(_USER_BY_ID, id=user_id))


async def get_user_by_username(conn: Connection, username: str) -> UserRecord | None:
    return _user(await conn.fetch_one(_USER_BY_NAME, username=username))


async def count_users(conn: Connection) -> int:
    return int(await conn.fetch_value(_COUNT_USERS))


async def update_user(conn: Connection, user_id: str, values: dict[str, Any]) -> None:
    stmt = (
        sa.update(users)
        .where(users.c.id == sa.bindparam("user_id"))
        .values({name: sa.bindparam(name) for name in values})
    )
    await conn.execute(Query(stmt), user_id=user_id, **values)


_INSERT_TOKEN = insert(api_tokens)
_LIVE_TOKENS = Query(
    _SELECT_TOKEN.where(
        api_tokens.c.user_id == sa.bindparam("user_id"), api_tokens.c.revoked.is_(None)
    )
    .order_by(api_tokens.c.created.desc(), api_tokens.c.id)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_REVOKE_TOKEN = Query(
    sa.update(api_tokens)
    .where(
        api_tokens.c.id == sa.bindparam("id"),
        api_tokens.c.user_id == sa.bindparam("user_id"),
        api_tokens.c.revoked.is_(None),
    )
    .values(revoked=sa.bindparam("now"))
)
_TOUCH_TOKEN = Query(
    sa.update(api_tokens)
    .where(api_tokens.c.id == sa.bindparam("id"))
    .values(last_used=sa.bindparam("now"))
)

# Authentication: one lookup gives the token and its user, token columns first.
_N_TOKEN = len(TokenRecord._fields)
_AUTH = (
    sa.select(*api_tokens.c, *users.c)
    .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
    .set_label_style(sa.LABEL_STYLE_TABLENAME_PLUS_COL)
)
_AUTH_BY_SECRET = Query(_AUTH.where(api_tokens.c.secret_hash == sa.bindparam("secret_hash")))
_AUTH_BY_TOKEN_ID = Query(_AUTH.where(api_tokens.c.id == sa.bindparam("id")))


async def insert_token(conn: Connection, token: TokenRecord) -> None:
    await conn.execute(_INSERT_TOKEN, **token._asdict())


async def list_live_tokens(
    conn: Connection, user_id: str, limit: int, offset: int
) -> list[TokenRecord]:
    rows = await conn.fetch_all(_LIVE_TOKENS, user_id=user_id, limit=limit, offset=offset)
    return [TokenRecord._make(row) for row in rows]


async def revoke_token(conn: Connection, user_id: str, token_id: str, now: float) -> bool:
    return await conn.execute(_REVOKE_TOKEN, id=token_id, user_id=user_id, now=now) > 0


async def touch_token(conn: Connection, token_id: str, now: float) -> None:
    await conn.execute(_TOUCH_TOKEN, id=token_id, now=now)


def _token_and_user(row: Row | None) -> tuple[TokenRecord, UserRecord] | None:
    if row is None:
        return None
    return TokenRecord._make(row[:_N_TOKEN]), UserRecord._make(row[_N_TOKEN:])


async def token_and_user_by_secret(
    conn: Connection, secret_hash: str
) -> tuple[TokenRecord, UserRecord] | None:
    return _token_and_user(await conn.fetch_one(_AUTH_BY_SECRET, secret_hash=secret_hash))


async def token_and_user_by_id(
    conn: Connection, token_id: str
) -> tuple[TokenRecord, UserRecord] | None:
    return _token_and_user(await conn.fetch_one(_AUTH_BY_TOKEN_ID, id=token_id))
