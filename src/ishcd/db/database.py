"""The database handle: read connections and write transactions.

``Database.read()`` gives a connection for reads of committed data;
``Database.transaction()`` a connection inside one write transaction that
commits when the block ends and rolls back on an exception. Services take a
``Connection`` and never commit: the caller's block is the boundary.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from ishcd import exceptions
from ishcd.db.query import Query

# A result row: a tuple (SQLite) or an asyncpg Record, in the statement's column order.
Row = Sequence[Any]
# Seconds a client is told to wait (``Retry-After``) when the database is unavailable.
RETRY_AFTER = 5


class Connection(abc.ABC):
    """One connection; every call runs one compiled statement."""

    dialect: str
    # Callbacks to run once the current transaction commits; None outside one.
    pending: list[Callable[[], None]] | None = None

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the transaction commits (at once outside one)."""
        if self.pending is None:
            callback()
        else:
            self.pending.append(callback)

    def run_committed(self) -> None:
        callbacks, self.pending = self.pending or [], None
        for callback in callbacks:
            callback()

    @abc.abstractmethod
    async def fetch_all(self, query: Query, **params: Any) -> list[Row]: ...

    @abc.abstractmethod
    async def fetch_one(self, query: Query, **params: Any) -> Row | None: ...

    @abc.abstractmethod
    async def execute(self, query: Query, **params: Any) -> int:
        """Run a statement; return how many rows it changed."""

    @abc.abstractmethod
    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """Inside a transaction: undo only this block's statements if it raises."""

    async def fetch_value(self, query: Query, **params: Any) -> Any:
        row = await self.fetch_one(query, **params)
        return None if row is None else row[0]


class Database(abc.ABC):
    """A SQLite file or a PostgreSQL server."""

    dialect: str
    url: str
    # Wall-clock time this process last found the database unreachable: whoever
    # judges other processes by what they could write (the reaper) asks it.
    last_unavailable: float = 0.0

    def unavailable(self, cause: BaseException) -> exceptions.Unavailable:
        """The error to raise for ``cause``, a lost or refused connection; remembers when."""
        self.last_unavailable = time.time()
        return exceptions.Unavailable(retry_after=RETRY_AFTER)

    @abc.abstractmethod
    def read(self) -> AbstractAsyncContextManager[Connection]: ...

    @abc.abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Connection]: ...

    @abc.abstractmethod
    async def ping(self) -> None:
        """Run a trivial query; raises ``exceptions.Unavailable`` if the database is not there."""

    @abc.abstractmethod
    async def close(self) -> None: ...


async def connect(url: str) -> Database:
    """Open the database at ``url`` (``sqlite:///path`` or ``postgresql://…``)."""
    if url.startswith("sqlite"):
        from ishcd.db import sqlite

        return sqlite.SQLiteDatabase.open(url)
    if url.startswith(("postgresql", "postgres")):
        from ishcd.db import postgres

        return await postgres.PostgresDatabase.open(url)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://…")
