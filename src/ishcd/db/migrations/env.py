"""Alembic environment: SQLite through pysqlite, PostgreSQL through asyncpg."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from ishcd.db import migrate, postgres
from ishcd.db.tables import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""


def run_migrations(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_sqlite() -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        run_migrations(connection)
    engine.dispose()


async def run_postgres() -> None:
    dsn = postgres.dsn_from_url(url).replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(dsn, poolclass=sa.NullPool)
    async with engine.connect() as connection:
        await connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": migrate.ADVISORY_LOCK_KEY}
        )
        await connection.run_sync(run_migrations)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Ish CD migrations run online only")
if url.startswith("sqlite"):
    run_sqlite()
else:
    asyncio.run(run_postgres())
