"""Fixtures shared by every test tier."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from ishcd.services import passwords
from tests import databases

# The server's own Argon2 hasher (RFC 9106's low-memory profile: 64 MiB, 3 passes), kept
# for tests/unit/test_passwords.py, which holds the server to it.
SERVER_HASHER = passwords._hasher


@pytest.fixture(scope="session", autouse=True)
def no_real_cli_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """``ishcd`` client commands run by any test never read or write ~/.config/ishcd:
    ``ISHCD_CONFIG`` names a file that does not exist (tests that log in set their own)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("ISHCD_CONFIG", str(tmp_path_factory.mktemp("cli-config") / "config.json"))
    yield
    mp.undo()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """In-process servers hash passwords with Argon2id at its smallest cost.

    The real cost is a second of CPU per hash or check on a busy 2-core machine, and the
    API tier creates users and logs in thousands of times. The hashes stay real Argon2id
    (verified, refused, stored as ``$argon2id$``); only the cost differs, and
    tests/unit/test_passwords.py holds the server's own hasher to the real cost. Server
    processes (tests/live.py) keep the real one.
    """
    mp = pytest.MonkeyPatch()
    mp.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    passwords._dummy_hash.cache_clear()
    yield
    mp.undo()
    passwords._dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> databases.SQLiteTemplates:
    return databases.SQLiteTemplates(tmp_path_factory.mktemp("sqlite-templates"))


@pytest.fixture(scope="session")
def postgres_templates() -> Iterator[databases.PostgresTemplates]:
    templates = databases.PostgresTemplates()
    yield templates
    templates.drop_template()


@pytest.fixture
async def empty_postgres_url(
    postgres_templates: databases.PostgresTemplates,
) -> AsyncIterator[str]:
    """A PostgreSQL database of this test's own with nothing in it (skipped without one)."""
    async for url in _own_postgres(postgres_templates, migrated=False):
        yield url


@pytest.fixture
async def postgres_url(
    postgres_templates: databases.PostgresTemplates,
) -> AsyncIterator[str]:
    """A migrated PostgreSQL database of this test's own (skipped without one)."""
    async for url in _own_postgres(postgres_templates, migrated=True):
        yield url


async def _own_postgres(
    templates: databases.PostgresTemplates, *, migrated: bool
) -> AsyncIterator[str]:
    if databases.POSTGRES_URL is None:
        pytest.skip(databases.SKIP_POSTGRES)
    url = await (templates.clone() if migrated else templates.empty())
    try:
        yield url
    finally:
        await templates.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_templates: databases.SQLiteTemplates,
    postgres_templates: databases.PostgresTemplates,
) -> AsyncIterator[str]:
    """A migrated, empty database of each kind: the API suite runs on both."""
    if request.param == "sqlite":
        yield await sqlite_templates.clone(tmp_path / "data" / "ishcd.db")
        return
    if databases.POSTGRES_URL is None:
        pytest.skip(databases.SKIP_POSTGRES)
    url = await postgres_templates.clone()
    try:
        yield url
    finally:
        await postgres_templates.drop(url)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say once why the browser tests were skipped (xdist workers report skips to here)."""
    for report in terminalreporter.stats.get("skipped", []):
        if "Chromium not found" in str(getattr(report, "longrepr", "")):
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
            reason = reason.removeprefix("Skipped: ")
            terminalreporter.write_line(f"browser tests skipped: {reason}")
            return
