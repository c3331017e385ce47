"""Queries of the database log store (``logstore_db``): logs, their chunks, their tails.

PostgreSQL only: the store is chosen on PostgreSQL, SQLite keeps logs in files.
Appends lock the log's row (``lock_log``) for their transaction, so two
appends to one log (a retried request racing itself) take turns.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ishcd.db.database import Connection
from ishcd.db.query import Query
from ishcd.db.tables import log_chunks, log_tail, logs


@dataclass
class LogState:
    """A log's row, as an append changes it."""

    run_id: str
    size: int
    lines: int
    tip: int
    received: int
    tail_tip: int | None
    closed: bool
    cut: str | None


_STATE_COLUMNS = (
    logs.c.run_id,
    logs.c.size,
    logs.c.lines,
    logs.c.tip,
    logs.c.received,
    logs.c.tail_tip,
    logs.c.closed,
    logs.c.cut,
)
_RUN = sa.bindparam("run_id", type_=sa.String)
_IDS = sa.bindparam("ids", type_=postgresql.ARRAY(sa.String))

_CREATE = Query(
    postgresql.insert(logs)
    .values(run_id=_RUN, size=0, lines=0, tip=0, received=0, closed=False)
    .on_conflict_do_nothing(index_elements=[logs.c.run_id])
)
_LOCK = Query(sa.select(*_STATE_COLUMNS).where(logs.c.run_id == _RUN).with_for_update())
_GET = Query(
    sa.select(logs.c.size, logs.c.received, logs.c.closed, logs.c.sections, logs.c.cut).where(
        logs.c.run_id == _RUN
    )
)
_SAVE = Query(
    sa.update(logs)
    .where(logs.c.run_id == _RUN)
    .values(
        size=sa.bindparam("size"),
        lines=sa.bindparam("lines"),
        tip=sa.bindparam("tip"),
        received=sa.bindparam("received"),
        tail_tip=sa.bindparam("tail_tip"),
        closed=sa.bindparam("closed"),
        cut=sa.bindparam("cut"),
    )
)
_SECTIONS = Query(
    sa.update(logs).where(logs.c.run_id == _RUN).values(sections=sa.bindparam("sections"))
)

_DATA = sa.bindparam("data", type_=sa.LargeBinary)
_START = sa.bindparam("start", type_=sa.BigInteger)
_INSERT_CHUNK = Query(
    sa.insert(log_chunks).values(
        run_id=_RUN, start=_START, lines_before=sa.bindparam("lines_before"), data=_DATA
    )
)
_EXTEND_CHUNK = Query(
    sa.update(log_chunks)
    .where(log_chunks.c.run_id == _RUN, log_chunks.c.start == _START)
    .values(data=log_chunks.c.data.op("||")(_DATA))
)
_INSERT_TAIL = Query(sa.insert(log_tail).values(run_id=_RUN, start=_START, data=_DATA))
_EXTEND_TAIL = Query(
    sa.update(log_tail)
    .where(log_tail.c.run_id == _RUN, log_tail.c.start == _START)
    .values(data=log_tail.c.data.op("||")(_DATA))
)
_DROP_TAIL = Query(
    sa.delete(log_tail).where(
        log_tail.c.run_id == _RUN,
        log_tail.c.start + sa.func.length(log_tail.c.data)
        <= sa.bindparam("before", type_=sa.BigInteger),
    )
)
_TAIL_CHUNKS = Query(
    sa.select(log_tail.c.start, log_tail.c.data)
    .where(log_tail.c.run_id == _RUN, log_tail.c.start > sa.bindparam("after", type_=sa.BigInteger))
    .order_by(log_tail.c.start)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)
_CLEAR_TAIL = Query(sa.delete(log_tail).where(log_tail.c.run_id == _RUN))

_OFFSET = sa.bindparam("offset", type_=sa.BigInteger)
_FIRST = (
    sa.select(sa.func.coalesce(sa.func.max(log_chunks.c.start), 0))
    .where(log_chunks.c.run_id == _RUN, log_chunks.c.start <= _OFFSET)
    .scalar_subquery()
)
_CHUNKS = Query(
    sa.select(log_chunks.c.start, log_chunks.c.data)
    .where(
        log_chunks.c.run_id == _RUN,
        log_chunks.c.start >= _FIRST,
        log_chunks.c.start < sa.bindparam("end", type_=sa.BigInteger),
    )
    .order_by(log_chunks.c.start)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)
_PREFIX = Query(
    sa.select(
        log_chunks.c.lines_before,
        sa.func.substr(log_chunks.c.data, 1, sa.cast(_OFFSET - log_chunks.c.start, sa.Integer)),
    )
    .where(log_chunks.c.run_id == _RUN, log_chunks.c.start < _OFFSET)
    .order_by(log_chunks.c.start.desc())
    .limit(1)
)
_BEFORE_LINE = Query(
    sa.select(log_chunks.c.start, log_chunks.c.lines_before, log_chunks.c.data)
    .where(
        log_chunks.c.run_id == _RUN,
        log_chunks.c.lines_before < sa.bindparam("line", type_=sa.BigInteger),
    )
    .order_by(log_chunks.c.lines_before.desc(), log_chunks.c.start.desc())
    .limit(1)
)
_DELETE = [
    Query(sa.delete(table).where(table.c.run_id == sa.any_(_IDS)))
    for table in (log_chunks, log_tail, logs)
]


async def lock_log(conn: Connection, run_id: str) -> LogState:
    """A log's row, locked until the transaction ends; made (empty) if there is none."""
    row = await conn.fetch_one(_LOCK, run_id=run_id)
    if row is None:
        await conn.execute(_CREATE, run_id=run_id)
        row = await conn.fetch_one(_LOCK, run_id=run_id)
        assert row is not None
    return LogState(*row)


async def save_log(conn: Connection, state: LogState) -> None:
    await conn.execute(
        _SAVE,
        run_id=state.run_id,
        size=state.size,
        lines=state.lines,
        tip=state.tip,
        received=state.received,
        tail_tip=state.tail_tip,
        closed=state.closed,
        cut=state.cut,
    )


@dataclass(frozen=True)
class LogInfo:
    size: int
    received: int
    closed: bool
    sections: str | None
    cut: str | None


async def get_log(conn: Connection, run_id: str) -> LogInfo | None:
    row = await conn.fetch_one(_GET, run_id=run_id)
    return None if row is None else LogInfo(*row)


async def set_sections(conn: Connection, run_id: str, sections: str) -> None:
    await lock_log(conn, run_id)
    await conn.execute(_SECTIONS, run_id=run_id, sections=sections)


async def insert_chunk(
    conn: Connection, run_id: str, start: int, lines_before: int, data: bytes
) -> None:
    await conn.execute(
        _INSERT_CHUNK, run_id=run_id, start=start, lines_before=lines_before, data=data
    )


async def extend_chunk(conn: Connection, run_id: str, start: int, data: bytes) -> None:
    await conn.execute(_EXTEND_CHUNK, run_id=run_id, start=start, data=data)


async def insert_tail(conn: Connection, run_id: str, start: int, data: bytes) -> None:
    await conn.execute(_INSERT_TAIL, run_id=run_id, start=start, data=data)


async def extend_tail(conn: Connection, run_id: str, start: int, data: bytes) -> None:
    await conn.execute(_EXTEND_TAIL, run_id=run_id, start=start, data=data)


async def drop_tail(conn: Connection, run_id: str, before: int) -> None:
    """Delete the tail chunks that end at or before the runner's offset ``before``."""
    await conn.execute(_DROP_TAIL, run_id=run_id, before=before)


async def tail_chunks(
    conn: Connection, run_id: str, after: int, limit: int
) -> list[tuple[int, bytes]]:
    """Up to ``limit`` tail chunks starting after ``after``, in order."""
    rows = await conn.fetch_all(_TAIL_CHUNKS, run_id=run_id, after=after, limit=limit)
    return [(row[0], bytes(row[1])) for row in rows]


async def clear_tail(conn: Connection, run_id: str) -> None:
    await conn.execute(_CLEAR_TAIL, run_id=run_id)


async def chunks(
    conn: Connection, run_id: str, offset: int, end: int, limit: int
) -> list[tuple[int, bytes]]:
    """Up to ``limit`` chunks, in order, from the one holding byte ``offset`` to ``end``."""
    rows = await conn.fetch_all(_CHUNKS, run_id=run_id, offset=offset, end=end, limit=limit)
    return [(row[0], bytes(row[1])) for row in rows]


async def prefix_before(conn: Connection, run_id: str, offset: int) -> tuple[int, bytes] | None:
    """The chunk holding byte ``offset - 1``: the newlines before it, and its bytes to
    ``offset``."""
    row = await conn.fetch_one(_PREFIX, run_id=run_id, offset=offset)
    return None if row is None else (row[0], bytes(row[1]))


async def chunk_before_line(
    conn: Connection, run_id: str, line: int
) -> tuple[int, int, bytes] | None:
    """The last chunk with fewer than ``line`` newlines before it (the one holding
    the ``line``-th newline, if the log has it): start, newlines before, bytes."""
    row = await conn.fetch_one(_BEFORE_LINE, run_id=run_id, line=line)
    return None if row is None else (row[0], row[1], bytes(row[2]))


async def delete_logs(conn: Connection, run_ids: list[str]) -> None:
    if not run_ids:
        return
    for query in _DELETE:
        await conn.execute(query, ids=run_ids)
