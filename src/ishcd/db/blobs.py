"""Queries of the blob stores: the ``blobs`` rows (both stores) and ``blob_chunks``
(the database store's bytes, PostgreSQL only).

A blob's row is written when it is adopted, and touched (``created`` set to
now) when the same content is adopted again: the sweep frees only blobs
nothing refers to that were adopted before its cut-off, so a blob being
adopted again is never freed under an upload in progress. Deleting the rows
(``delete_unreferenced``) and freeing the bytes are separate steps; a store
frees only bytes whose row is gone (``still_stored`` tells it which are back).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ishcd.db.database import Connection
from ishcd.db.query import Query
from ishcd.db.tables import artifacts, blob_chunks, blobs, caches

_SHA = sa.bindparam("sha256", type_=sa.String)
_SHAS = sa.bindparam("shas", type_=postgresql.ARRAY(sa.String))
_START = sa.bindparam("start", type_=sa.BigInteger)


def _upsert(dialect: str) -> Query:
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(blobs)
    statement = insert.values(
        sha256=_SHA, size=sa.bindparam("size", type_=sa.BigInteger), created=sa.bindparam("now")
    )
    return Query(
        statement.on_conflict_do_update(
            index_elements=[blobs.c.sha256], set_={"created": statement.excluded.created}
        )
    )


_UPSERT = {"postgresql": _upsert("postgresql"), "sqlite": _upsert("sqlite")}
# PostgreSQL only: the row, made or touched; whether it was made now (its chunks are to write).
_CLAIM = Query(
    postgresql.insert(blobs)
    .values(
        sha256=_SHA, size=sa.bindparam("size", type_=sa.BigInteger), created=sa.bindparam("now")
    )
    .on_conflict_do_update(index_elements=[blobs.c.sha256], set_={"created": sa.bindparam("now")})
    .returning(sa.literal_column("xmax = 0"))
)
_SIZE = Query(sa.select(blobs.c.size).where(blobs.c.sha256 == _SHA))

_UNREFERENCED = (
    sa.select(blobs.c.sha256)
    .where(
        blobs.c.created < sa.bindparam("before", type_=sa.Float),
        ~sa.exists().where(artifacts.c.sha256 == blobs.c.sha256),
        ~sa.exists().where(caches.c.sha256 == blobs.c.sha256),
    )
    .limit(sa.bindparam("limit", type_=sa.Integer))
)
_DELETE_UNREFERENCED = Query(
    sa.delete(blobs)
    .where(
        blobs.c.sha256.in_(_UNREFERENCED.scalar_subquery()),
        # Again here: on PostgreSQL a row touched meanwhile is checked once its lock is free.
        blobs.c.created < sa.bindparam("before", type_=sa.Float),
    )
    .returning(blobs.c.sha256)
)

_DROP_CHUNKS = Query(sa.delete(blob_chunks).where(blob_chunks.c.sha256 == _SHA))
_INSERT_CHUNK = Query(
    sa.insert(blob_chunks).values(
        sha256=_SHA, start=_START, data=sa.bindparam("data", type_=sa.LargeBinary)
    )
)
_CHUNKS = Query(
    sa.select(blob_chunks.c.start, blob_chunks.c.data)
    .where(
        blob_chunks.c.sha256 == _SHA,
        blob_chunks.c.start >= _START,
        blob_chunks.c.start < sa.bindparam("end", type_=sa.BigInteger),
    )
    .order_by(blob_chunks.c.start)
)
_FREE_CHUNKS = Query(
    sa.delete(blob_chunks).where(
        blob_chunks.c.sha256 == sa.any_(_SHAS),
        ~sa.exists().where(blobs.c.sha256 == blob_chunks.c.sha256),
    )
)


async def record(conn: Connection, sha256: str, size: int, now: float) -> None:
    """The blob's row: made, or touched if it is there (adopted again)."""
    await conn.execute(_UPSERT[conn.dialect], sha256=sha256, size=size, now=now)


async def claim(conn: Connection, sha256: str, size: int, now: float) -> bool:
    """PostgreSQL: the blob's row, made or touched and locked until the transaction
    ends; True when it was made now (no one stored its bytes)."""
    return bool(await conn.fetch_value(_CLAIM, sha256=sha256, size=size, now=now))


async def size_of(conn: Connection, sha256: str) -> int | None:
    value = await conn.fetch_value(_SIZE, sha256=sha256)
    return None if value is None else int(value)


async def still_stored(conn: Connection, sha256s: list[str]) -> set[str]:
    """Those of ``sha256s`` that have a row (adopted again since they were freed)."""
    return {sha for sha in sha256s if await size_of(conn, sha) is not None}


async def delete_unreferenced(conn: Connection, before: float, limit: int) -> list[str]:
    """Delete up to ``limit`` rows of blobs adopted before ``before`` that no artifact
    or cache refers to; their sha256s (their bytes are the store's to free)."""
    rows = await conn.fetch_all(_DELETE_UNREFERENCED, before=before, limit=limit)
    return [row[0] for row in rows]


async def drop_chunks(conn: Connection, sha256: str) -> None:
    await conn.execute(_DROP_CHUNKS, sha256=sha256)


async def insert_chunk(conn: Connection, sha256: str, start: int, data: bytes) -> None:
    await conn.execute(_INSERT_CHUNK, sha256=sha256, start=start, data=data)


async def chunks(conn: Connection, sha256: str, start: int, end: int) -> list[tuple[int, bytes]]:
    """The chunks starting in ``[start, end)``, in order."""
    rows = await conn.fetch_all(_CHUNKS, sha256=sha256, start=start, end=end)
    return [(int(row[0]), bytes(row[1])) for row in rows]


async def free_chunks(conn: Connection, sha256s: list[str]) -> None:
    """PostgreSQL: delete the chunks of these blobs, unless one is stored again (has a row)."""
    if sha256s:
        await conn.execute(_FREE_CHUNKS, shas=sha256s)
