"""Test databases: a SQLite file, or a PostgreSQL database of the test's own.

PostgreSQL tests need ``ISHCD_TEST_POSTGRES_URL`` (a server URL whose database
may be anything, e.g. ``postgresql://postgres@127.0.0.1:5432/test``). Each
test worker migrates one template database; each test gets a fresh clone of
it, dropped afterwards. Names are random, so nothing left by an earlier run
can interfere.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg

from ishcd.db import migrate, postgres

POSTGRES_URL = os.environ.get("ISHCD_TEST_POSTGRES_URL")
SKIP_POSTGRES = "PostgreSQL tests skipped: set ISHCD_TEST_POSTGRES_URL to run them"


def _with_database(url: str, name: str) -> str:
    base, _, _ = postgres.dsn_from_url(url).rpartition("/")
    return f"{base}/{name}"


async def _admin(statement: str) -> None:
    assert POSTGRES_URL is not None
    conn = await asyncpg.connect(postgres.dsn_from_url(POSTGRES_URL))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


class PostgresTemplates:
    """One migrated template per process; cheap clones of it per test."""

    def __init__(self) -> None:
        self.template: str | None = None

    async def clone(self) -> str:
        assert POSTGRES_URL is not None
        if self.template is None:
            name = f"ishcd_tmpl_{uuid.uuid4().hex[:12]}"
            await _admin(f'CREATE DATABASE "{name}"')
            await migrate.upgrade(_with_database(POSTGRES_URL, name))
            self.template = name
        clone = f"ishcd_test_{uuid.uuid4().hex[:12]}"
        await _admin(f'CREATE DATABASE "{clone}" TEMPLATE "{self.template}"')
        return _with_database(POSTGRES_URL, clone)

    async def empty(self) -> str:
        """A database with nothing in it, not even the schema."""
        assert POSTGRES_URL is not None
        name = f"ishcd_empty_{uuid.uuid4().hex[:12]}"
        await _admin(f'CREATE DATABASE "{name}"')
        return _with_database(POSTGRES_URL, name)

    async def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_template(self) -> None:
        if self.template is not None:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
            self.template = None


class SQLiteTemplates:
    """One migrated SQLite file per process, copied for each test."""

    def __init__(self, root: Path):
        self.root = root
        self.template: Path | None = None

    async def clone(self, into: Path) -> str:
        if self.template is None:
            self.template = self.root / f"template-{uuid.uuid4().hex[:8]}.db"
            await migrate.upgrade(f"sqlite:///{self.template}")
        into.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.template, into)
        return f"sqlite:///{into}"
