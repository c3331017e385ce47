"""Queries on project environment variables (values stored encrypted)."""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection
from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import envvars


class EnvvarRecord(NamedTuple):
    id: str
    project_id: str
    name: str
    value_encrypted: str
    value_hint: str
    created: float
    changed: float


_SELECT = sa.select(envvars)
check_columns(_SELECT, EnvvarRecord._fields)
_IN_PROJECT = envvars.c.project_id == sa.bindparam("project_id")
_INSERT = insert(envvars)
_LIST = Query(
    _SELECT.where(_IN_PROJECT)
    .order_by(envvars.c.name)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_ALL = Query(_SELECT.where(_IN_PROJECT).order_by(envvars.c.name))
_BY_NAME = Query(_SELECT.where(_IN_PROJECT, envvars.c.name == sa.bindparam("name")))
_REPLACE = Query(
    sa.update(envvars)
    .where(_IN_PROJECT, envvars.c.name == sa.bindparam("name"))
    .values(
        value_encrypted=sa.bindparam("value_encrypted"),
        value_hint=sa.bindparam("value_hint"),
        changed=sa.bindparam("changed"),
    )
)
_DELETE = Query(sa.delete(envvars).where(_IN_PROJECT, envvars.c.name == sa.bindparam("name")))


async def list_envvars(
    conn: Connection, project_id: str, limit: int, offset: int
) -> list[EnvvarRecord]:
    rows = await conn.fetch_all(_LIST, project_id=project_id, limit=limit, offset=offset)
    return [EnvvarRecord._make(row) for row in rows]


async def all_envvars(conn: Connection, project_id: str) -> list[EnvvarRecord]:
    return [EnvvarRecord._make(row) for row in await conn.fetch_all(_ALL, project_id=project_id)]


async def get_envvar(conn: Connection, project_id: str, name: str) -> EnvvarRecord | None:
    row = await conn.fetch_one(_BY_NAME, project_id=project_id, name=name)
    return None if row is None else EnvvarRecord._make(row)


async def insert_envvar(conn: Connection, record: EnvvarRecord) -> None:
    await conn.execute(_INSERT, **record._asdict())


async def replace_envvar(conn: Connection, record: EnvvarRecord) -> None:
    await conn.execute(
        _REPLACE,
        project_id=record.project_id,
        name=record.name,
        value_encrypted=record.value_encrypted,
        value_hint=record.value_hint,
        changed=record.changed,
    )


async def delete_envvar(conn: Connection, project_id: str, name: str) -> bool:
    return await conn.execute(_DELETE, project_id=project_id, name=name) > 0
