"""PostgreSQL through an asyncpg pool; the scale-out database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg

from ishcd.db import failures
from ishcd.db.database import Connection, Database, Row
from ishcd.db.query import Query


def dsn_from_url(url: str) -> str:
    """asyncpg takes ``postgresql://``; accept SQLAlchemy-style driver suffixes too."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.startswith(("postgresql", "postgres")):
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    return f"postgresql://{rest}"


class PostgresConnection(Connection):
    dialect = "postgresql"

    def __init__(self, raw: Any):
        self.raw = raw

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

    @classmethod
    async def open(cls, url: str, max_size: int = 10) -> PostgresDatabase:
        pool = await asyncpg.create_pool(dsn_from_url(url), min_size=1, max_size=max_size)
        return cls(url, pool)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        async with self.pool.acquire() as raw:
            yield PostgresConnection(raw)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self.pool.acquire() as raw:
            conn = PostgresConnection(raw)
            conn.pending = []
            async with raw.transaction():
                yield conn
            conn.run_committed()

    async def close(self) -> None:
        await self.pool.close()
