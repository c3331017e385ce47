"""Queries on a project's saved caches (``services.caches``).

A key is unique per project and never overwritten: saving inserts only when
the key is absent (one statement, so racing saves leave one row). Prefix
matches compare ``substr(key, 1, length(prefix))``: case-sensitive on both
databases, with no LIKE wildcards to escape.
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ishcd.db.database import Connection, Row
from ishcd.db.query import Query, check_columns
from ishcd.db.tables import caches, projects


class CacheRecord(NamedTuple):
    id: int
    project_id: str
    key: str
    sha256: str
    size: int
    created: float
    last_used: float
    run_id: str | None  # the run that saved it


_SELECT = sa.select(caches)
check_columns(_SELECT, CacheRecord._fields)
_PROJECT = caches.c.project_id == sa.bindparam("project_id")
_PREFIX = sa.bindparam("prefix", type_=sa.String)
_STARTS = sa.func.substr(caches.c.key, 1, sa.func.length(_PREFIX)) == _PREFIX
_NEWEST = (caches.c.created.desc(), caches.c.id.desc())

_INSERT = Query(
    postgresql.insert(caches)
    .values(
        project_id=sa.bindparam("project_id"),
        key=sa.bindparam("key"),
        sha256=sa.bindparam("sha256"),
        size=sa.bindparam("size"),
        created=sa.bindparam("now"),
        last_used=sa.bindparam("now"),
        run_id=sa.bindparam("run_id"),
    )
    .on_conflict_do_nothing(index_elements=[caches.c.project_id, caches.c.key])
    .returning(caches.c.id)
)
# Saves and evictions of one project take turns (PostgreSQL; SQLite writes one at a time).
_LOCK_PROJECT = Query(
    sa.select(projects.c.id).where(projects.c.id == sa.bindparam("project_id")).with_for_update()
)
_BY_ID = Query(_SELECT.where(_PROJECT, caches.c.id == sa.bindparam("id")))
_BY_KEY = Query(_SELECT.where(_PROJECT, caches.c.key == sa.bindparam("key")))
_BY_PREFIX = Query(_SELECT.where(_PROJECT, _STARTS).order_by(*_NEWEST).limit(1))
_TOUCH = Query(
    sa.update(caches)
    .where(_PROJECT, caches.c.id == sa.bindparam("id"))
    .values(last_used=sa.bindparam("now"))
)
_TOTAL = Query(sa.select(sa.func.coalesce(sa.func.sum(caches.c.size), 0)).where(_PROJECT))
_LEAST_USED = Query(
    sa.select(caches.c.id, caches.c.size)
    .where(_PROJECT, caches.c.id != sa.bindparam("keep"))
    .order_by(caches.c.last_used, caches.c.id)
    .limit(sa.bindparam("limit"))
)
_LIST = Query(
    _SELECT.where(_PROJECT)
    .order_by(*_NEWEST)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_LIST_PREFIX = Query(
    _SELECT.where(_PROJECT, _STARTS)
    .order_by(*_NEWEST)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_DELETE = Query(sa.delete(caches).where(_PROJECT, caches.c.id == sa.bindparam("id")))


def _record(row: Row) -> CacheRecord:
    return CacheRecord._make(row)


async def insert_if_absent(
    conn: Connection,
    project_id: str,
    key: str,
    sha256: str,
    size: int,
    now: float,
    run_id: str | None,
) -> int | None:
    """Save the key; its id, or None when the project already has it (kept as it is)."""
    row = await conn.fetch_one(
        _INSERT,
        project_id=project_id,
        key=key,
        sha256=sha256,
        size=size,
        now=now,
        run_id=run_id,
    )
    return None if row is None else int(row[0])


async def lock_project(conn: Connection, project_id: str) -> None:
    await conn.fetch_one(_LOCK_PROJECT, project_id=project_id)


async def get_by_id(conn: Connection, project_id: str, cache_id: int) -> CacheRecord | None:
    row = await conn.fetch_one(_BY_ID, project_id=project_id, id=cache_id)
    return None if row is None else _record(row)


async def get_by_key(conn: Connection, project_id: str, key: str) -> CacheRecord | None:
    row = await conn.fetch_one(_BY_KEY, project_id=project_id, key=key)
    return None if row is None else _record(row)


async def newest_with_prefix(conn: Connection, project_id: str, prefix: str) -> CacheRecord | None:
    row = await conn.fetch_one(_BY_PREFIX, project_id=project_id, prefix=prefix)
    return None if row is None else _record(row)


async def touch(conn: Connection, project_id: str, cache_id: int, now: float) -> bool:
    """Record a use (restore) of the cache; False when it is gone."""
    return await conn.execute(_TOUCH, project_id=project_id, id=cache_id, now=now) > 0


async def total_size(conn: Connection, project_id: str) -> int:
    return int(await conn.fetch_value(_TOTAL, project_id=project_id))


async def least_used(
    conn: Connection, project_id: str, keep: int, limit: int
) -> list[tuple[int, int]]:
    """(id, size) of the project's least recently used caches, but ``keep``, first first."""
    rows = await conn.fetch_all(_LEAST_USED, project_id=project_id, keep=keep, limit=limit)
    return [(int(row[0]), int(row[1])) for row in rows]


async def list_caches(
    conn: Connection, project_id: str, prefix: str | None, limit: int, offset: int
) -> list[CacheRecord]:
    """The project's caches, newest first; only keys starting with ``prefix`` when given."""
    if prefix is None:
        rows = await conn.fetch_all(_LIST, project_id=project_id, limit=limit, offset=offset)
    else:
        rows = await conn.fetch_all(
            _LIST_PREFIX, project_id=project_id, prefix=prefix, limit=limit, offset=offset
        )
    return [_record(row) for row in rows]


async def delete(conn: Connection, project_id: str, cache_id: int) -> bool:
    return await conn.execute(_DELETE, project_id=project_id, id=cache_id) > 0
