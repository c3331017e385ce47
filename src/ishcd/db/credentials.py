"""Queries on accounts' credentials (values stored encrypted)."""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection
from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import credentials


class CredentialRecord(NamedTuple):
    id: str
    user_id: str
    name: str
    env: str
    value_encrypted: str
    value_hint: str
    created: float
    changed: float


_SELECT = sa.select(credentials)
check_columns(_SELECT, CredentialRecord._fields)
_OF_USER = credentials.c.user_id == sa.bindparam("user_id")
_INSERT = insert(credentials)
_LIST = Query(
    _SELECT.where(_OF_USER)
    .order_by(credentials.c.name, credentials.c.id)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_ALL = Query(_SELECT.where(_OF_USER).order_by(credentials.c.env))
_BY_ENV = Query(_SELECT.where(_OF_USER, credentials.c.env == sa.bindparam("env")))
_DELETE = Query(sa.delete(credentials).where(_OF_USER, credentials.c.id == sa.bindparam("id")))


async def list_credentials(
    conn: Connection, user_id: str, limit: int, offset: int
) -> list[CredentialRecord]:
    rows = await conn.fetch_all(_LIST, user_id=user_id, limit=limit, offset=offset)
    return [CredentialRecord._make(row) for row in rows]


async def all_credentials(conn: Connection, user_id: str) -> list[CredentialRecord]:
    return [CredentialRecord._make(row) for row in await conn.fetch_all(_ALL, user_id=user_id)]


async def credential_for_env(conn: Connection, user_id: str, env: str) -> CredentialRecord | None:
    row = await conn.fetch_one(_BY_ENV, user_id=user_id, env=env)
    return None if row is None else CredentialRecord._make(row)


async def insert_credential(conn: Connection, record: CredentialRecord) -> None:
    await conn.execute(_INSERT, **record._asdict())


async def delete_credential(conn: Connection, user_id: str, credential_id: str) -> bool:
    return await conn.execute(_DELETE, user_id=user_id, id=credential_id) > 0
