"""PostgreSQL through an asyncpg pool; the scale-out database.

A refused, lost or timed-out connection becomes ``exceptions.Unavailable``
here, in one place, so the API answers 503 and runners retry; no driver
message travels further.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg

from ishcd.db import failures
from ishcd.db.database import Connection, Database, Row
from ishcd.db.query import Query

log = logging.getLogger(__name__)

# Seconds to wait for a new connection: an unreachable server must fail fast, not hang.
CONNECT_TIMEOUT = 5.0
# Seconds to wait for a free pooled connection, and for held ones at close.
ACQUIRE_TIMEOUT = 30.0
CLOSE_TIMEOUT = 10.0

# What a refused, cut or overloaded connection raises. TimeoutError is an OSError.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, e.g. the connection does not exist
    asyncpg.CannotConnectNowError,  # the server is starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)

# What asyncpg raises about a connection the server ended between two statements
# (pg_terminate_backend, a restart) when its protocol state machine is caught out:
# "cannot switch to state 12; another operation (2) is in progress" (MagicStack/asyncpg#1069).
# The connection is broken for good: it is terminated, so the pool makes a new one.
BROKEN = (asyncpg.InternalClientError,)


def dsn_from_url(url: str) -> str:
    """asyncpg takes ``postgresql://``; accept SQLAlchemy-style driver suffixes too."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.startswith(("postgresql", "postgres")):
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    return f"postgresql://{rest}"


def _is_lost(exc: BaseException, raw: Any) -> bool:
    """Whether ``exc`` means the connection is gone (asyncpg says so with InterfaceError)."""
    if isinstance(exc, CONNECTION_ERRORS):
        return True
    if isinstance(exc, BROKEN):
        if raw is not None:
            raw.terminate()
        return True
    return isinstance(exc, asyncpg.InterfaceError) and raw is not None and raw.is_closed()


class PostgresConnection(Connection):
    dialect = "postgresql"

    def __init__(self, raw: Any, db: PostgresDatabase):
        self.raw = raw
        self.db = db

    async def _call(self, method: str, query: Query, params: dict[str, Any]) -> Any:
        compiled = query.compiled("postgresql")
        try:
            return await getattr(self.raw, method)(compiled.sql, *compiled.args(params))
        except asyncpg.UniqueViolationError as exc:
            raise failures.duplicate(exc) from exc
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise failures.conflict(exc) from exc
        except (asyncpg.DataError, OverflowError) as exc:
            raise failures.unstorable(exc) from exc
        except (asyncpg.InterfaceError, *BROKEN, *CONNECTION_ERRORS) as exc:
            if _is_lost(exc, self.raw):
                raise self.db.unavailable(exc) from exc
            raise

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        # A transaction inside one is a savepoint in asyncpg.
        transaction: AbstractAsyncContextManager[None] = self.raw.transaction()
        return transaction

    async def fetch_all(self, query: Query, **params: Any) -> list[Row]:
        records: list[Row] = await self._call("fetch", query, params)
        return records

    async def fetch_one(self, query: Query, **params: Any) -> Row | None:
        record: Row | None = await self._call("fetchrow", query, params)
        return record

    async def execute(self, query: Query, **params: Any) -> int:
        status: str = await self._call("execute", query, params)
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: str, pool: Any):
        self.url = url
        self.pool = pool
        self._releasing: set[asyncio.Future[None]] = set()

    @classmethod
    async def open(cls, url: str, max_size: int = 10) -> PostgresDatabase:
        # min_size=0: connections are made when needed (and kept while used), so an
        # outage is seen by the requests that need the database, as a 503, rather
        # than by a background refill logging a traceback at every attempt.
        pool = await asyncpg.create_pool(
            dsn_from_url(url), min_size=0, max_size=max_size, timeout=CONNECT_TIMEOUT
        )
        return cls(url, pool)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        """A pooled connection. Only the pool's own calls are mapped here: what the
        caller's block raises passes through untouched."""
        try:
            # Bounded: a pool held empty (a stuck holder) answers 503, not a hang.
            raw = await self.pool.acquire(timeout=ACQUIRE_TIMEOUT)
        except (asyncpg.InterfaceError, *BROKEN, *CONNECTION_ERRORS) as exc:
            raise self.unavailable(exc) from exc
        try:
            yield raw
        finally:
            # Released to the end even when the caller is cancelled meanwhile (a duty
            # stopping, a client gone): asyncpg's own shield would then leave the error
            # of a release on a cut connection unretrieved, logged as a traceback.
            release = asyncio.ensure_future(self._release(raw))
            self._releasing.add(release)
            release.add_done_callback(self._releasing.discard)
            await asyncio.shield(release)

    async def _release(self, raw: Any) -> None:
        try:
            await self.pool.release(raw)
        except (asyncpg.InterfaceError, *BROKEN, *CONNECTION_ERRORS) as exc:
            # The pool has dropped the broken connection and makes a new one when
            # needed; whatever the block did is settled (committed or not) already.
            self.unavailable(exc)  # remembered for the reaper; nothing to raise

    async def _guard(self, raw: Any, step: Any) -> None:
        try:
            await step
        except (asyncpg.InterfaceError, *BROKEN, *CONNECTION_ERRORS) as exc:
            if _is_lost(exc, raw):
                raise self.unavailable(exc) from exc
            raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        async with self._connection() as raw:
            yield PostgresConnection(raw, self)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self._connection() as raw:
            conn = PostgresConnection(raw, self)
            conn.pending = []
            transaction = raw.transaction()
            await self._guard(raw, transaction.start())
            try:
                yield conn
            except BaseException:
                conn.pending = None
                # A lost connection has rolled back already: the block's error is the news.
                with contextlib.suppress(asyncpg.InterfaceError, *BROKEN, *CONNECTION_ERRORS):
                    await transaction.rollback()
                raise
            await self._guard(raw, transaction.commit())
            conn.run_committed()

    async def ping(self) -> None:
        async with self._connection() as raw:
            await self._guard(raw, raw.fetchval("SELECT 1"))

    async def close(self) -> None:
        """Close the pool; connections still held after ``CLOSE_TIMEOUT`` are cut."""
        try:
            await asyncio.wait_for(self.pool.close(), CLOSE_TIMEOUT)
        except TimeoutError:
            log.warning("closing the database pool: connections still held; cutting them")
            self.pool.terminate()
