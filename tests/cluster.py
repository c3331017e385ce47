"""Several real ``ishcd server`` processes on one PostgreSQL database: a cluster for tests.

Each replica is a ``tests.live.LiveServer`` with a data directory of its own;
all share a fresh database (created here, dropped at the end) and the secret
key. The first replica to start creates the first admin; every replica's
``token`` is that admin's, so ``cluster[1].client()`` works as well.

    with Cluster(tmp_path, replicas=2, ISHCD_RUNNER_SLOTS="2") as cluster:
        a, b = cluster
        cluster.start(1, ISHCD_RUNNER_SLOTS="0")  # or per replica, later
        cluster.kill(0)                           # kill -9
        cluster.start(0)                          # the same data dir again
        cluster.restart(1)                        # SIGTERM, then start
        wait_until(lambda: cluster.leader() == 1, "replica 1 leads")
        cluster.terminate_connections()           # what a PostgreSQL restart does

Needs ``ISHCD_TEST_POSTGRES_URL`` (``skip_without_postgres`` says so otherwise).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import asyncpg
import httpx
import pytest

from ishcd.db import postgres
from tests import databases
from tests.live import LiveServer, free_port

PATIENCE = 30.0  # seconds any wait helper waits by default


def skip_without_postgres() -> str:
    """The server URL of ``ISHCD_TEST_POSTGRES_URL``; skips the test without it."""
    if databases.POSTGRES_URL is None:
        pytest.skip(databases.SKIP_POSTGRES)
    return databases.POSTGRES_URL


def wait_until(condition: Callable[[], Any], what: str, timeout: float = PATIENCE) -> Any:
    """Poll ``condition`` until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)


def _sql(url: str, statement: str, *args: Any) -> Any:
    async def run() -> Any:
        conn = await asyncpg.connect(postgres.dsn_from_url(url))
        try:
            return await conn.fetch(statement, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


class Cluster:
    """``replicas`` servers (started in order) on a fresh database; ``env`` for all."""

    def __init__(self, root: Path, replicas: int = 2, **env: str):
        server_url = skip_without_postgres()
        self.name = f"ishcd_cluster_{uuid.uuid4().hex[:12]}"
        base = postgres.dsn_from_url(server_url).rpartition("/")[0]
        self.admin_url = server_url  # a connection to another database of the same server
        self.database_url = f"{base}/{self.name}"
        _sql(self.admin_url, f'CREATE DATABASE "{self.name}"')
        self.root = root
        self.env = env
        self.servers: list[LiveServer] = []
        try:
            for _ in range(replicas):
                self.add()
        except BaseException:
            self.close()
            raise

    def add(self, **env: str) -> LiveServer:
        """Start one more replica (``env`` over the cluster's)."""
        index = len(self.servers)
        server = LiveServer(
            data_dir=self.root / f"replica-{index}",
            port=free_port(),
            database_url=self.database_url,
            extra_env={**self.env, **env},
        )
        self.servers.append(server)
        self.start(index)
        return server

    def start(self, index: int, **env: str) -> LiveServer:
        """(Re)start replica ``index``, with ``env`` changed if given."""
        server = self.servers[index]
        server.extra_env.update(env)
        server.start()
        first = self.servers[0]
        if server.token:
            for other in self.servers:
                other.token = other.token or server.token
        else:
            server.token = first.token
        return server

    def kill(self, index: int) -> None:
        """``kill -9`` replica ``index``: no shutdown at all."""
        self.servers[index].kill()

    def stop(self, index: int) -> None:
        """Stop replica ``index`` gracefully (SIGTERM: running runs get the shutdown grace)."""
        self.servers[index].stop()

    def restart(self, index: int, **env: str) -> LiveServer:
        """Stop replica ``index`` gracefully and start it again on the same data dir."""
        self.stop(index)
        return self.start(index, **env)

    def __getitem__(self, index: int) -> LiveServer:
        return self.servers[index]

    def __iter__(self) -> Iterator[LiveServer]:
        return iter(self.servers)

    def client(self, index: int = 0) -> httpx.Client:
        return self.servers[index].client()

    def sql(self, statement: str, *args: Any) -> list[Any]:
        """Run ``statement`` on the cluster's database (as the test's superuser)."""
        rows: list[Any] = _sql(self.database_url, statement, *args)
        return rows

    def terminate_connections(self) -> int:
        """Cut every connection to the cluster's database (as a restart would); how many."""
        rows = _sql(
            self.admin_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            self.name,
        )
        return len(rows)

    def sessions(self, application: str) -> int:
        """How many connections the servers have open for ``ishcd-signals`` or ``ishcd-leader``."""
        rows = self.sql(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name LIKE $1",
            application + "%",
        )
        count: int = rows[0][0]
        return count

    def leader(self) -> int | None:
        """The index of the replica that holds the leader lock (by its process id), if any."""
        rows = self.sql(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            " WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()"
            " AND a.application_name LIKE 'ishcd-leader %'"
        )
        pids = {int(row[0].rsplit(" ", 1)[1]) for row in rows}
        for index, server in enumerate(self.servers):
            if server.process is not None and server.process.pid in pids:
                return index
        return None

    def wait_connected(self) -> None:
        """Until every running replica listens for the others' wake-ups."""
        running = sum(server.process is not None for server in self.servers)
        wait_until(lambda: self.sessions("ishcd-signals") >= running, "every replica listens")

    def tracebacks(self) -> str:
        """The tracebacks in every replica's output so far (for an assertion's message)."""
        found = []
        for index, server in enumerate(self.servers):
            text = "".join(server.output)
            at = text.find("Traceback")
            while at >= 0:
                at = text.rfind("\n", 0, at) + 1
                at = text.rfind("\n", 0, at - 1) + 1  # the line that logged it too
                end = text.find("\n20", at)  # the next log line starts with the year
                found.append(f"replica {index}: {text[at : end if end > 0 else None]}")
                at = text.find("Traceback", end if end > 0 else len(text))
        return "\n".join(found)

    def close(self) -> None:
        for index, server in enumerate(self.servers):
            server.stop()
            # Kept beside the data dirs for whoever reads a failure.
            (self.root / f"replica-{index}.log").write_text("".join(server.output))
        _sql(self.admin_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def __enter__(self) -> Cluster:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
