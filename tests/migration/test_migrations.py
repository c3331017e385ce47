"""Migrations: from nothing to head and back, and head matches the table metadata."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from ishcd.db import database, migrate, postgres
from ishcd.db import pipelines as pipelines_db
from ishcd.db import projects as projects_db
from ishcd.db import users as users_db
from ishcd.db.query import Query
from ishcd.db.tables import metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    url: str = request.getfixturevalue("empty_postgres_url")
    return url


def _diff(connection: sa.Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


async def schema_diff(url: str) -> list[object]:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            diff = _diff(connection)
        engine.dispose()
        return diff
    dsn = postgres.dsn_from_url(url).replace("postgresql://", "postgresql+asyncpg://", 1)
    async_engine = create_async_engine(dsn)
    async with async_engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    await async_engine.dispose()
    return diff


async def table_names(url: str) -> set[str]:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url)
        names = set(sa.inspect(engine).get_table_names())
        engine.dispose()
        return names
    dsn = postgres.dsn_from_url(url).replace("postgresql://", "postgresql+asyncpg://", 1)
    async_engine = create_async_engine(dsn)
    async with async_engine.connect() as connection:
        names = set(await connection.run_sync(lambda c: sa.inspect(c).get_table_names()))
    await async_engine.dispose()
    return names


async def test_upgrade_from_nothing_matches_the_metadata(empty_url: str) -> None:
    await migrate.upgrade(empty_url)
    assert await schema_diff(empty_url) == []
    assert set(metadata.tables) <= await table_names(empty_url)


async def test_upgrade_is_idempotent_and_reversible(empty_url: str) -> None:
    await migrate.upgrade(empty_url)
    await migrate.upgrade(empty_url)
    config = migrate.alembic_config(empty_url)
    await asyncio.to_thread(command.downgrade, config, "base")
    assert set(metadata.tables).isdisjoint(await table_names(empty_url))
    await migrate.upgrade(empty_url)
    assert await schema_diff(empty_url) == []


_OLD_PROJECT = Query(
    sa.text(
        "INSERT INTO projects (id, machine_name, name, created, changed) "
        "VALUES ('p1', 'old', 'Old', 1, 1)"
    )
)


async def test_data_of_the_previous_schema_survives_the_upgrade(empty_url: str) -> None:
    await migrate.upgrade(empty_url, "0001")
    db = await database.connect(empty_url)
    try:
        async with db.transaction() as conn:
            await conn.execute(
                Query(
                    sa.text(
                        "INSERT INTO users (id, username, is_admin, disabled, created, changed) "
                        "VALUES ('u1', 'old-user', true, false, 1, 1)"
                    )
                )
            )
            await conn.execute(_OLD_PROJECT)
            await conn.execute(
                Query(
                    sa.text(
                        "INSERT INTO project_members (id, project_id, user_id, role, created, "
                        "changed) VALUES ('m1', 'p1', 'u1', 'admin', 1, 1)"
                    )
                )
            )
    finally:
        await db.close()
    await migrate.upgrade(empty_url)
    db = await database.connect(empty_url)
    try:
        async with db.read() as conn:
            user = await users_db.get_user_by_username(conn, "old-user")
            member = await projects_db.member_of_user(conn, "p1", "u1")
    finally:
        await db.close()
    assert user is not None
    assert user.session_epoch == 0
    assert member is not None
    assert member.role == "admin"
    assert member.invitation_hash is None


async def test_projects_of_0003_get_the_servers_log_retention(empty_url: str) -> None:
    await migrate.upgrade(empty_url, "0003")
    db = await database.connect(empty_url)
    try:
        async with db.transaction() as conn:
            await conn.execute(_OLD_PROJECT)
    finally:
        await db.close()
    await migrate.upgrade(empty_url)
    db = await database.connect(empty_url)
    try:
        async with db.read() as conn:
            project = await projects_db.get_project(conn, "p1")
    finally:
        await db.close()
    assert project is not None
    assert project.log_retention_days is None


_OLD_PIPELINE = Query(
    sa.text(
        "INSERT INTO pipelines (id, project_id, number, status, errors, config_file, plan, "
        "trigger_type, parameters, created, changed) VALUES (:id, 'p1', :number, 'complete', "
        "'[]', '.ishcd.yml', :plan, 'api', :parameters, 1, 1)"
    )
)


async def test_pipelines_of_0004_show_the_parameters_they_ran_with(empty_url: str) -> None:
    await migrate.upgrade(empty_url, "0004")
    plan = '{"parameters": {"target": "staging", "shards": 4}, "workflows": [], "promotions": []}'
    db = await database.connect(empty_url)
    try:
        async with db.transaction() as conn:
            await conn.execute(_OLD_PROJECT)
            # As the trigger sent them: only shards; the plan has target's default too.
            await conn.execute(
                _OLD_PIPELINE, id="pl1", number=1, plan=plan, parameters='{"shards": "4"}'
            )
            # A config that did not compile has no plan: what was sent is all there is.
            await conn.execute(
                _OLD_PIPELINE, id="pl2", number=2, plan=None, parameters='{"target": "moon"}'
            )
    finally:
        await db.close()
    await migrate.upgrade(empty_url)
    db = await database.connect(empty_url)
    try:
        async with db.read() as conn:
            compiled = await pipelines_db.get_pipeline(conn, "pl1")
            broken = await pipelines_db.get_pipeline(conn, "pl2")
    finally:
        await db.close()
    assert compiled is not None
    assert compiled.parameters == {"target": "staging", "shards": 4}
    assert broken is not None
    assert broken.parameters == {"target": "moon"}
