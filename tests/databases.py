"""Test databases: a SQLite file, or a PostgreSQL database of the test's own.

PostgreSQL tests need ``ISHCD_TEST_POSTGRES_URL`` (a server URL whose database
may be anything, e.g. ``postgresql://postgres@127.0.0.1:5432/test``). Each
test worker migrates one template database; each test gets a fresh clone of
it, dropped afterwards. Names are random, so nothing left by an earlier run
can interfere. Test databases commit without waiting for the disk
(``synchronous_commit = off``: what a commit makes visible, and when, is the
same; only a crash of the PostgreSQL server could lose the last commits),
which makes the PostgreSQL suite several times faster on a busy disk.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import queue
import shutil
import threading
import uuid
from pathlib import Path

import asyncpg

from ishcd.db import migrate, postgres

POSTGRES_URL = os.environ.get("ISHCD_TEST_POSTGRES_URL")
SKIP_POSTGRES = "PostgreSQL tests skipped: set ISHCD_TEST_POSTGRES_URL to run them"


def _with_database(url: str, name: str) -> str:
    base, _, _ = postgres.dsn_from_url(url).rpartition("/")
    return f"{base}/{name}"


async def _admin(*statements: str) -> None:
    assert POSTGRES_URL is not None
    conn = await asyncpg.connect(postgres.dsn_from_url(POSTGRES_URL))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _create(name: str, template: str | None = None) -> None:
    """A new database that commits without waiting for the disk (see the module's doc)."""
    await _admin(
        f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""),
        f'ALTER DATABASE "{name}" SET synchronous_commit = off',
    )


def _make_clone(template: str) -> str:
    clone = f"ishcd_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_create(clone, template))
    return clone


class PostgresTemplates:
    """One migrated template per process; cheap clones of it per test.

    The next clone is made on a thread while the test that took the last one runs,
    and finished databases are dropped on another (``_Dropper``): a test waits for
    neither.
    """

    def __init__(self) -> None:
        self.template: str | None = None
        self._dropper = _Dropper()
        self._maker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="clone")
        self._next: concurrent.futures.Future[str] | None = None

    async def clone(self) -> str:
        assert POSTGRES_URL is not None
        if self.template is None:
            name = f"ishcd_tmpl_{uuid.uuid4().hex[:12]}"
            await _create(name)
            await migrate.upgrade(_with_database(POSTGRES_URL, name))
            self.template = name
        ready = self._next or self._maker.submit(_make_clone, self.template)
        self._next = self._maker.submit(_make_clone, self.template)
        return _with_database(POSTGRES_URL, await asyncio.wrap_future(ready))

    async def empty(self) -> str:
        """A database with nothing in it, not even the schema."""
        assert POSTGRES_URL is not None
        name = f"ishcd_empty_{uuid.uuid4().hex[:12]}"
        await _create(name)
        return _with_database(POSTGRES_URL, name)

    async def drop(self, url: str) -> None:
        """Done with this database: it is dropped in the background (``_Dropper``)."""
        self._dropper.drop(url.rsplit("/", 1)[1])

    def drop_template(self) -> None:
        """At the end: the clone made for no test, the template, once every database is dropped."""
        if self._next is not None:
            try:
                self._dropper.drop(self._next.result())
            finally:
                self._next = None
                self._maker.shutdown()
        if self.template is not None:
            self._dropper.drop(self.template)
            self.template = None
        self._dropper.finish()


class _Dropper:
    """Drops databases on a thread of its own, so that tests do not wait for it.

    Every DROP DATABASE makes the PostgreSQL server checkpoint at once (all of its
    databases, for every process using it) and waits for that: a second or more on
    a busy machine, which a test's teardown would spend waiting.
    """

    def __init__(self) -> None:
        self.names: queue.Queue[str | None] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.errors: list[BaseException] = []

    def drop(self, name: str) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="drop-databases", daemon=True)
            self.thread.start()
        self.names.put(name)

    def finish(self) -> None:
        """Wait until every database given is dropped; raise the first failure."""
        if self.thread is not None:
            self.names.put(None)
            self.thread.join()
            self.thread = None
        if self.errors:
            raise self.errors[0]

    def _run(self) -> None:
        while (name := self.names.get()) is not None:
            try:
                asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except Exception as error:  # reported by finish(), at the end of the session
                self.errors.append(error)


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
