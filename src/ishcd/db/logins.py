"""Queries on failed logins, counted per user name."""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection
from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import login_failures


class FailureRecord(NamedTuple):
    username: str
    failures: int
    last_failure: float
    locked_until: float | None


_SELECT = sa.select(login_failures)
check_columns(_SELECT, FailureRecord._fields)
_BY_NAME = Query(_SELECT.where(login_failures.c.username == sa.bindparam("username")))
_INSERT = insert(login_failures)
_UPDATE = Query(
    sa.update(login_failures)
    .where(login_failures.c.username == sa.bindparam("username"))
    .values(
        failures=sa.bindparam("failures"),
        last_failure=sa.bindparam("last_failure"),
        locked_until=sa.bindparam("locked_until"),
    )
)
_CLEAR = Query(
    sa.delete(login_failures).where(login_failures.c.username == sa.bindparam("username"))
)


async def get_failures(conn: Connection, username: str) -> FailureRecord | None:
    row = await conn.fetch_one(_BY_NAME, username=username)
    return None if row is None else FailureRecord._make(row)


async def save_failures(conn: Connection, record: FailureRecord, existed: bool) -> None:
    await conn.execute(_UPDATE if existed else _INSERT, **record._asdict())


async def clear_failures(conn: Connection, username: str) -> None:
    await conn.execute(_CLEAR, username=username)
