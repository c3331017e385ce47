"""The e2e tier: a real ``ishcd server`` process, real HTTP, real runner and shell."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import databases

# The server process and its helpers live in tests.live (the browser tier uses them too);
# e2e tests import them from here as they always have.
from tests.live import ISHCD, LiveServer, free_port, wait_for_run

__all__ = ["ISHCD", "LiveServer", "free_port", "guards_of", "needs_curl", "wait_for_run"]

needs_curl = pytest.mark.skipif(
    shutil.which("curl") is None, reason="curl is not installed: tests that run curl skipped"
)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A fresh server on SQLite with a data dir of its own."""
    server = LiveServer(data_dir=tmp_path / "data", port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shared_live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server on SQLite shared by the tests of one module (starting one costs seconds).

    A module whose tests can share one (each makes things of its own names) asks for it
    as its ``live_server``::

        @pytest.fixture(scope="module")
        def live_server(shared_live_server: LiveServer) -> LiveServer:
            return shared_live_server
    """
    server = LiveServer(data_dir=tmp_path_factory.mktemp("shared") / "data", port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live_server_factory(tmp_path: Path) -> Iterator[Any]:
    """Make servers with extra environment (e.g. short heartbeats); all stopped at the end."""
    made: list[LiveServer] = []

    def make(name: str = "data", database_url: str | None = None, **env: str) -> LiveServer:
        server = LiveServer(
            data_dir=tmp_path / name, port=free_port(), database_url=database_url, extra_env=env
        )
        server.start()
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


@pytest.fixture
def postgres_url_for_e2e() -> str:
    if databases.POSTGRES_URL is None:
        pytest.skip(databases.SKIP_POSTGRES)
    return databases.POSTGRES_URL


def guards_of(server_pid: int) -> list[int]:
    """The run guard processes a server started (``ishcd.runner.guard``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == server_pid and b"ishcd.runner.guard" in cmdline:
            found.append(int(entry.name))
    return found
