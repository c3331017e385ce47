"""Queries on web sessions (browser logins), each read with its user in one statement."""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection
from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import users, web_sessions
from ishcd.db.users import UserRecord


class SessionRecord(NamedTuple):
    secret_hash: str
    user_id: str
    csrf_token: str
    epoch: int
    created: float
    last_seen: float
    ip: str | None


class SessionRow(NamedTuple):
    session: SessionRecord
    user: UserRecord


_SELECT = sa.select(web_sessions)
check_columns(_SELECT, SessionRecord._fields)
_N = len(SessionRecord._fields)
_WITH_USER = Query(
    sa.select(web_sessions, users)
    .join(users, users.c.id == web_sessions.c.user_id)
    .where(web_sessions.c.secret_hash == sa.bindparam("secret_hash"))
)
_INSERT = insert(web_sessions)
_TOUCH = Query(
    sa.update(web_sessions)
    .where(web_sessions.c.secret_hash == sa.bindparam("secret_hash"))
    .values(last_seen=sa.bindparam("last_seen"))
)
_DELETE = Query(
    sa.delete(web_sessions).where(web_sessions.c.secret_hash == sa.bindparam("secret_hash"))
)
_DELETE_STALE = Query(
    sa.delete(web_sessions).where(
        sa.or_(
            web_sessions.c.last_seen < sa.bindparam("idle_before"),
            web_sessions.c.created < sa.bindparam("created_before"),
        )
    )
)


async def insert_session(conn: Connection, record: SessionRecord) -> None:
    await conn.execute(_INSERT, **record._asdict())


async def get_session(conn: Connection, secret_hash: str) -> SessionRow | None:
    row = await conn.fetch_one(_WITH_USER, secret_hash=secret_hash)
    if row is None:
        return None
    return SessionRow(SessionRecord._make(row[:_N]), UserRecord._make(row[_N:]))


async def touch_session(conn: Connection, secret_hash: str, now: float) -> None:
    await conn.execute(_TOUCH, secret_hash=secret_hash, last_seen=now)


async def delete_session(conn: Connection, secret_hash: str) -> None:
    await conn.execute(_DELETE, secret_hash=secret_hash)


async def delete_stale_sessions(conn: Connection, idle_before: float, created_before: float) -> int:
    """Sessions idle or older than the limits; how many went."""
    return await conn.execute(_DELETE_STALE, idle_before=idle_before, created_before=created_before)
