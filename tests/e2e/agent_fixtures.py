"""Fixtures of the agent tests: a server (SQLite, and PostgreSQL when there is one) for agents."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import databases
from tests.e2e.agents import Fleet


@pytest.fixture(params=["sqlite", "postgresql"])
async def agent_database(
    request: pytest.FixtureRequest, postgres_templates: databases.PostgresTemplates
) -> AsyncIterator[str | None]:
    """None (the server's SQLite in its data dir), or an empty PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    if databases.POSTGRES_URL is None:
        pytest.skip(databases.SKIP_POSTGRES)
    url = await postgres_templates.empty()
    try:
        yield url
    finally:
        await postgres_templates.drop(url)


@pytest.fixture
def fleet_factory(
    live_server_factory: Any, tmp_path: Path, agent_database: str | None
) -> Iterator[Any]:
    """``make(**server_env)``: a server with no embedded runner, for agents only."""
    made: list[Fleet] = []

    def make(**env: str) -> Fleet:
        fleet = Fleet(live_server_factory, tmp_path, agent_database, **env)
        made.append(fleet)
        return fleet

    yield make
    for fleet in made:
        fleet.stop()
