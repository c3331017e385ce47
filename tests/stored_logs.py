"""What a server's log store holds, whichever store it is: for tests that look past the API."""

from __future__ import annotations

import sqlalchemy as sa

from ishcd.db.query import Query
from ishcd.db.tables import log_chunks, log_tail, logs
from ishcd.logstore_db import DatabaseLogStore
from ishcd.logstore_file import FileLogStore
from ishcd.server import Server

_CHUNKS = Query(sa.select(log_chunks.c.data))
_TAILS = Query(sa.select(log_tail.c.data))
_HAS = [
    Query(sa.select(sa.func.count()).where(table.c.run_id == sa.bindparam("id")))
    for table in (logs, log_chunks, log_tail)
]


async def stored_bytes(server: Server) -> bytes:
    """Every byte the store holds, of every log, in no particular order."""
    store = server.logs
    if isinstance(store, FileLogStore):
        return b"".join(p.read_bytes() for p in store.root.rglob("*") if p.is_file())
    assert isinstance(store, DatabaseLogStore)
    async with server.database.read() as conn:
        rows = await conn.fetch_all(_CHUNKS) + await conn.fetch_all(_TAILS)
    return b"".join(bytes(row[0]) for row in rows)


async def holds(server: Server, run_id: str) -> bool:
    """Whether anything of the run's log is stored."""
    store = server.logs
    if isinstance(store, FileLogStore):
        where = store.path(run_id).parent
        return where.exists() and any(p.name.startswith(run_id) for p in where.iterdir())
    async with server.database.read() as conn:
        for query in _HAS:
            if await conn.fetch_value(query, id=run_id):
                return True
    return False
