"""Fixtures of the unit tests: the two log stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ishcd.db import database
from ishcd.logstore import LogStore
from ishcd.logstore_db import DatabaseLogStore
from ishcd.logstore_file import FileLogStore
from tests import databases


@dataclass
class Stores:
    """Makes log stores of one kind that share their logs (a file store its
    directory, a database store its PostgreSQL database), and the database
    (SQLite beside a file store) whose transactions delete logs."""

    kind: str
    db: database.Database
    root: Path
    made: list[LogStore] = field(default_factory=list)

    def make(self, max_bytes: int = 0) -> LogStore:
        store: LogStore
        if self.kind == "file":
            store = FileLogStore(self.root, max_bytes)
        else:
            store = DatabaseLogStore(self.db, max_bytes)
        self.made.append(store)
        return store

    async def delete(self, store: LogStore, run_ids: list[str]) -> None:
        async with self.db.transaction() as conn:
            await store.delete_many(conn, run_ids)


@pytest.fixture(params=["file", "database"])
async def stores(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_templates: databases.SQLiteTemplates,
    postgres_templates: databases.PostgresTemplates,
) -> AsyncIterator[Stores]:
    """The file store (on SQLite) and the database store (on PostgreSQL)."""
    url: str | None = None
    if request.param == "database":
        if databases.POSTGRES_URL is None:
            pytest.skip(databases.SKIP_POSTGRES)
        url = await postgres_templates.clone()
        db = await database.connect(url)
    else:
        db = await database.connect(await sqlite_templates.clone(tmp_path / "ishcd.db"))
    made = Stores(request.param, db, tmp_path / "logs")
    try:
        yield made
    finally:
        for store in made.made:
            await store.close_all()
        await db.close()
        if url is not None:
            await postgres_templates.drop(url)


@pytest.fixture
def logs(stores: Stores) -> LogStore:
    """A log store of each kind without a cap."""
    return stores.make(0)
