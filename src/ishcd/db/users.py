"""Queries on users and their API tokens."""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection, Row
from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import api_tokens, project_members, users


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
    session_epoch: int


class TokenRecord(NamedTuple):
    id: str
    user_id: str  # the account it acts for (a project token's maker)
    name: str
    secret_hash: str
    created: float
    last_used: float | None
    revoked: float | None
    expires: float | None
    project_id: str | None  # set for project tokens
    role: str | None  # a project token's role


class AuthRow(NamedTuple):
    """What authenticating a token needs, from one statement."""

    token: TokenRecord
    user: UserRecord
    maker_role: str | None  # a project token's maker's role in its project


_SELECT_USER = sa.select(users)
_SELECT_TOKEN = sa.select(api_tokens)
check_columns(_SELECT_USER, UserRecord._fields)
check_columns(_SELECT_TOKEN, TokenRecord._fields)

_INSERT_USER = insert(users)
_USER_BY_ID = Query(_SELECT_USER.where(users.c.id == sa.bindparam("id")))
_USER_BY_NAME = Query(_SELECT_USER.where(users.c.username == sa.bindparam("username")))
_COUNT_USERS = Query(sa.select(sa.func.count()).select_from(users))
_LIST_USERS = Query(
    _SELECT_USER.order_by(users.c.username)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_COUNT_ACTIVE_ADMINS = Query(
    sa.select(sa.func.count())
    .select_from(users)
    .where(users.c.is_admin.is_(True), users.c.disabled.is_(False))
)
_DELETE_USER = Query(sa.delete(users).where(users.c.id == sa.bindparam("id")))


def _user(row: Row | None) -> UserRecord | None:
    return None if row is None else UserRecord._make(row)


async def insert_user(conn: Connection, user: UserRecord) -> None:
    await conn.execute(_INSERT_USER, **user._asdict())


async def get_user(conn: Connection, user_id: str) -> UserRecord | None:
    return _user(await conn.fetch_one(_USER_BY_ID, id=user_id))


async def get_user_by_username(conn: Connection, username: str) -> UserRecord | None:
    return _user(await conn.fetch_one(_USER_BY_NAME, username=username))


_USERS_BY_EMAIL = Query(
    _SELECT_USER.where(sa.func.lower(users.c.email) == sa.func.lower(sa.bindparam("email")))
    .order_by(users.c.username)
    .limit(sa.bindparam("limit"))
)


async def users_with_email(conn: Connection, email: str, limit: int) -> list[UserRecord]:
    """Up to ``limit`` accounts whose e-mail address is ``email``, in any letter case."""
    rows = await conn.fetch_all(_USERS_BY_EMAIL, email=email, limit=limit)
    return [UserRecord._make(row) for row in rows]


async def count_users(conn: Connection) -> int:
    return int(await conn.fetch_value(_COUNT_USERS))


async def list_users(conn: Connection, limit: int, offset: int) -> list[UserRecord]:
    rows = await conn.fetch_all(_LIST_USERS, limit=limit, offset=offset)
    return [UserRecord._make(row) for row in rows]


async def count_active_admins(conn: Connection) -> int:
    return int(await conn.fetch_value(_COUNT_ACTIVE_ADMINS))


async def delete_user(conn: Connection, user_id: str) -> None:
    await conn.execute(_DELETE_USER, id=user_id)


async def update_user(conn: Connection, user_id: str, values: dict[str, Any]) -> None:
    stmt = (
        sa.update(users)
        .where(users.c.id == sa.bindparam("user_id"))
        .values({name: sa.bindparam(name) for name in values})
    )
    await conn.execute(Query(stmt), user_id=user_id, **values)


_INSERT_TOKEN = insert(api_tokens)
_LIVE = api_tokens.c.revoked.is_(None)
_NEWEST_FIRST = (api_tokens.c.created.desc(), api_tokens.c.id)
_LIVE_ACCOUNT_TOKENS = Query(
    _SELECT_TOKEN.where(
        api_tokens.c.user_id == sa.bindparam("user_id"),
        api_tokens.c.project_id.is_(None),
        _LIVE,
    )
    .order_by(*_NEWEST_FIRST)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_LIVE_PROJECT_TOKENS = Query(
    _SELECT_TOKEN.where(api_tokens.c.project_id == sa.bindparam("project_id"), _LIVE)
    .order_by(*_NEWEST_FIRST)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_REVOKE_ACCOUNT_TOKEN = Query(
    sa.update(api_tokens)
    .where(
        api_tokens.c.id == sa.bindparam("id"),
        api_tokens.c.user_id == sa.bindparam("user_id"),
        api_tokens.c.project_id.is_(None),
        _LIVE,
    )
    .values(revoked=sa.bindparam("now"))
)
_REVOKE_TOKENS_OF_MAKER = Query(
    sa.update(api_tokens)
    .where(
        api_tokens.c.project_id == sa.bindparam("project_id"),
        api_tokens.c.user_id == sa.bindparam("user_id"),
        _LIVE,
    )
    .values(revoked=sa.bindparam("now"))
)
_REVOKE_PROJECT_TOKEN = Query(
    sa.update(api_tokens)
    .where(
        api_tokens.c.id == sa.bindparam("id"),
        api_tokens.c.project_id == sa.bindparam("project_id"),
        _LIVE,
    )
    .values(revoked=sa.bindparam("now"))
)
_TOKEN_BY_ID = Query(_SELECT_TOKEN.where(api_tokens.c.id == sa.bindparam("id")))
_TOUCH_TOKEN = Query(
    sa.update(api_tokens)
    .where(api_tokens.c.id == sa.bindparam("id"))
    .values(last_used=sa.bindparam("now"))
)

# Authentication: one lookup gives the token, its user and, for a project
# token, its maker's role in the project: token columns, user columns, role.
_N_TOKEN = len(TokenRecord._fields)
_N_USER = len(UserRecord._fields)
_MAKER = sa.and_(
    project_members.c.project_id == api_tokens.c.project_id,
    project_members.c.user_id == api_tokens.c.user_id,
)
_AUTH = (
    sa.select(*api_tokens.c, *users.c, project_members.c.role)
    .select_from(
        api_tokens.join(users, users.c.id == api_tokens.c.user_id).outerjoin(
            project_members, _MAKER
        )
    )
    .set_label_style(sa.LABEL_STYLE_TABLENAME_PLUS_COL)
)
_AUTH_BY_SECRET = Query(_AUTH.where(api_tokens.c.secret_hash == sa.bindparam("secret_hash")))
_AUTH_BY_TOKEN_ID = Query(_AUTH.where(api_tokens.c.id == sa.bindparam("id")))


async def insert_token(conn: Connection, token: TokenRecord) -> None:
    await conn.execute(_INSERT_TOKEN, **token._asdict())


async def list_account_tokens(
    conn: Connection, user_id: str, limit: int, offset: int
) -> list[TokenRecord]:
    """An account's live tokens (not the project tokens it made)."""
    rows = await conn.fetch_all(_LIVE_ACCOUNT_TOKENS, user_id=user_id, limit=limit, offset=offset)
    return [TokenRecord._make(row) for row in rows]


async def list_project_tokens(
    conn: Connection, project_id: str, limit: int, offset: int
) -> list[TokenRecord]:
    rows = await conn.fetch_all(
        _LIVE_PROJECT_TOKENS, project_id=project_id, limit=limit, offset=offset
    )
    return [TokenRecord._make(row) for row in rows]


async def get_token(conn: Connection, token_id: str) -> TokenRecord | None:
    row = await conn.fetch_one(_TOKEN_BY_ID, id=token_id)
    return None if row is None else TokenRecord._make(row)


async def revoke_account_token(conn: Connection, user_id: str, token_id: str, now: float) -> bool:
    return await conn.execute(_REVOKE_ACCOUNT_TOKEN, id=token_id, user_id=user_id, now=now) > 0


async def revoke_project_token(
    conn: Connection, project_id: str, token_id: str, now: float
) -> bool:
    query = _REVOKE_PROJECT_TOKEN
    return await conn.execute(query, id=token_id, project_id=project_id, now=now) > 0


async def revoke_project_tokens_of(
    conn: Connection, project_id: str, user_id: str, now: float
) -> int:
    """Revoke the project's tokens that ``user_id`` made; how many."""
    return await conn.execute(
        _REVOKE_TOKENS_OF_MAKER, project_id=project_id, user_id=user_id, now=now
    )


async def touch_token(conn: Connection, token_id: str, now: float) -> None:
    await conn.execute(_TOUCH_TOKEN, id=token_id, now=now)


def _auth_row(row: Row | None) -> AuthRow | None:
    if row is None:
        return None
    end = _N_TOKEN + _N_USER
    return AuthRow(TokenRecord._make(row[:_N_TOKEN]), UserRecord._make(row[_N_TOKEN:end]), row[end])


async def auth_by_secret(conn: Connection, secret_hash: str) -> AuthRow | None:
    return _auth_row(await conn.fetch_one(_AUTH_BY_SECRET, secret_hash=secret_hash))


async def auth_by_token_id(conn: Connection, token_id: str) -> AuthRow | None:
    return _auth_row(await conn.fetch_one(_AUTH_BY_TOKEN_ID, id=token_id))
