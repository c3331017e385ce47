"""A database that is not there is ``Unavailable`` (a 503), mapped in the db layer;
readiness says so; the reaper does not blame runners for heartbeats it could not write."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ishcd import exceptions
from ishcd.db import database, sqlite
from ishcd.db import users as users_db
from ishcd.engine.recovery import Reaper
from ishcd.services import dispatch, readiness
from tests import databases
from tests.api.conftest import Api, make_settings, serving
from tests.tcp_proxy import proxy_to, through_proxy


async def test_a_locked_sqlite_database_is_unavailable_for_writes(
    tmp_path: Path, sqlite_templates: databases.SQLiteTemplates
) -> None:
    url = await sqlite_templates.clone(tmp_path / "ishcd.db")
    db = sqlite.SQLiteDatabase.open(url, busy_timeout_ms=50)
    other = sqlite3.connect(sqlite.path_from_url(url), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(exceptions.Unavailable):
            async with db.transaction() as conn:
                await users_db.count_users(conn)
        assert db.last_unavailable > 0
        async with db.read() as conn:  # WAL: reads go on
            assert await users_db.count_users(conn) == 0
        await db.ping()
        other.execute("COMMIT")
        async with db.transaction() as conn:  # and the writer works again
            assert await users_db.count_users(conn) == 0
    finally:
        other.close()
        await db.close()


async def test_postgresql_refused_or_cut_is_unavailable_and_comes_back(postgres_url: str) -> None:
    target = urlsplit(postgres_url)
    with proxy_to(target.hostname or "127.0.0.1", target.port or 5432) as proxy:
        db = await database.connect(through_proxy(postgres_url, proxy.port))
        try:
            async with db.read() as conn:
                assert await users_db.count_users(conn) == 0
            proxy.cut()  # the pooled connection is reset, new ones are refused
            with pytest.raises(exceptions.Unavailable):
                async with db.read() as conn:
                    await users_db.count_users(conn)
            with pytest.raises(exceptions.Unavailable):
                async with db.transaction() as conn:
                    await users_db.count_users(conn)
            assert not await readiness.check_database(db, 2.0)
            assert db.last_unavailable > 0
            proxy.restore()
            assert await readiness.check_database(db, 2.0)
            async with db.transaction() as conn:
                assert await users_db.count_users(conn) == 0
        finally:
            await db.close()


async def test_readiness_is_ok_while_the_database_answers(api: Api) -> None:
    response = await api.http.get("/v1/health/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


async def test_the_reaper_gives_runners_a_full_window_after_an_outage(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, runner_slots=0)
    async with serving(settings) as api:
        await api.project("Ops")
        await api.job("ops", "sleep 30", name="j")
        run = await api.start("ops", "j")
        db = api.server.database
        async with db.transaction() as conn:
            assert await dispatch.claim_run(conn, api.server.runtime, "agent-1") is not None
        reaper = Reaper(db, api.server.logs, api.server.runtime, lost_after=0.2)
        await api.wait(run["id"], until=("running",))
        time.sleep(0.3)  # the run's last heartbeat is now older than lost_after
        db.last_unavailable = time.time()  # but heartbeats could not be written just now
        assert await reaper.reap_once() == []
        db.last_unavailable = time.time() - 1.0  # the database has been back a full window
        assert await reaper.reap_once() == [run["id"]]


async def test_liveness_readiness_and_503_are_documented(api: Api) -> None:
    spec = (await api.http.get("/v1/swagger.json")).json()
    ready = spec["paths"]["/v1/health/ready"]["get"]["responses"]
    for code in ("200", "503"):
        schema = ready[code]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ReadyOut"}
    assert "503" not in spec["paths"]["/v1/health"]["get"]["responses"]
    create_run = spec["paths"]["/v1/projects/{project_ish}/jobs/{job_ish}/runs"]["post"]
    unavailable = create_run["responses"]["503"]
    assert "Retry-After" in unavailable["headers"]
    schema = unavailable["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ErrorOut"}
