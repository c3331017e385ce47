"""Retention: old runs lose their logs and kept workspaces to a sweep; their records stay."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa

from ishcd.db.query import Query
from ishcd.db.tables import runs
from tests import stored_logs
from tests.api.conftest import Api

DAY = 86400
_AGE = Query(
    sa.update(runs)
    .where(runs.c.id == sa.bindparam("id"))
    .values(
        created=sa.bindparam("at"),
        started=sa.bindparam("at"),
        finished=sa.bindparam("at"),
        changed=sa.bindparam("at"),
    )
)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"log_retention_days": 10, "keep_workspaces": True}


async def finished_days_ago(api: Api, project: str, days: float) -> dict[str, Any]:
    run = await api.wait((await api.start(project, "j"))["id"])
    assert run["status"] == "complete"
    async with api.server.database.transaction() as conn:
        await conn.execute(_AGE, id=run["id"], at=time.time() - days * DAY)
    return run


async def ops_and_brief(api: Api, script: str) -> None:
    """Project ops keeps the server's 10 days, project brief 2; each has a job ``j``."""
    await api.project("Ops")
    await api.project("Brief", log_retention_days=2)
    for project in ("ops", "brief"):
        await api.job(project, script, name="j")


async def test_a_project_sets_its_own_retention(api: Api) -> None:
    project = await api.project("Ops")
    assert project["log_retention_days"] is None
    path = "/v1/projects/ops"
    changed = await api.patch(path, json={"log_retention_days": 3})
    assert changed.status_code == 200
    assert changed.json()["log_retention_days"] == 3
    assert (await api.get(path)).json()["log_retention_days"] == 3
    for bad in (0, -1, 36501, "soon", 1.5):
        response = await api.patch(path, json={"log_retention_days": bad})
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["field"] == "log_retention_days"
    longer = await api.patch(path, json={"log_retention_days": 11})
    assert longer.status_code == 422  # never longer than the server's 10 days
    assert "ISHCD_LOG_RETENTION_DAYS" in longer.json()["message"]
    reset = await api.patch(path, json={"log_retention_days": None})
    assert reset.json()["log_retention_days"] is None
    made = await api.project("Short", log_retention_days=2)
    assert made["log_retention_days"] == 2


async def test_the_sweep_deletes_old_logs_and_workspaces_and_keeps_the_runs(api: Api) -> None:
    await ops_and_brief(api, "echo output of $ISHCD_PROJECT; touch made-here")
    old = await finished_days_ago(api, "ops", 11)
    recent = await finished_days_ago(api, "ops", 9)
    brief_old = await finished_days_ago(api, "brief", 3)
    brief_new = await finished_days_ago(api, "brief", 1)
    server = api.server
    workspaces = server.settings.runs_dir
    for run in (old, recent, brief_old, brief_new):
        assert (workspaces / run["id"] / "workspace" / "made-here").exists()
    assert server.sweeper is not None

    removed = await server.sweeper.sweep_once()

    assert sorted(removed) == sorted([old["id"], brief_old["id"]])
    for run in (old, brief_old):
        shown = (await api.get(f"/v1/runs/{run['id']}")).json()
        assert shown["status"] == "complete"  # the record stays
        assert shown["exit_code"] == 0
        assert shown["log"] is None
        assert shown["log_truncated"] is False
        assert shown["log_removed"] >= int(time.time()) - 60
        for params in ({}, {"offset": 3}, {"follow": 1}):
            gone = await api.get(f"/v1/runs/{run['id']}/log", params=params)
            assert gone.status_code == 410
            assert "past its retention" in gone.json()["message"]
        assert not await stored_logs.holds(server, run["id"])
        assert not (workspaces / run["id"]).exists()
    for run in (recent, brief_new):
        shown = (await api.get(f"/v1/runs/{run['id']}")).json()
        assert shown["log"].startswith("output of")
        assert shown["log_removed"] is None
        assert (await api.get(f"/v1/runs/{run['id']}/log")).status_code == 200
        assert (workspaces / run["id"] / "workspace" / "made-here").exists()
    listed = (await api.get("/v1/projects/ops/runs")).json()
    assert {r["id"] for r in listed} == {old["id"], recent["id"]}

    assert await server.sweeper.sweep_once() == []  # idempotent


async def test_a_server_retention_of_0_keeps_logs_unless_a_project_says(api: Api) -> None:
    assert api.server.sweeper is not None
    api.server.sweeper.server_days = 0
    await ops_and_brief(api, "echo hi")
    ancient = await finished_days_ago(api, "ops", 10_000)
    brief_old = await finished_days_ago(api, "brief", 3)
    assert await api.server.sweeper.sweep_once() == [brief_old["id"]]
    assert (await api.get(f"/v1/runs/{ancient['id']}")).json()["log"] == "hi\n"


async def test_a_running_run_is_never_swept(api: Api, tmp_path: Any) -> None:
    await api.project("Ops")
    go = tmp_path / "go"
    await api.job("ops", f"echo started; while [ ! -e {go} ]; do sleep 0.02; done", name="j")
    run = await api.start("ops", "j")
    await api.wait(run["id"], until=("running",))
    async with api.server.database.transaction() as conn:
        await conn.execute(_AGE, id=run["id"], at=time.time() - 100 * DAY)
    assert api.server.sweeper is not None
    assert await api.server.sweeper.sweep_once() == []
    assert (api.server.settings.runs_dir / run["id"]).exists()
    go.touch()
    assert (await api.wait(run["id"]))["log"] == "started\n"


async def test_test_cases_go_with_the_log_and_the_totals_stay(api: Api) -> None:
    script = (
        'mkdir -p r; echo \'<testsuite><testcase classname="k" name="t">'
        "<failure/></testcase></testsuite>' > r/junit.xml"
    )
    await api.project("Ops")
    await api.job("ops", script, name="j", test_reports=["r/*.xml"])
    old = await finished_days_ago(api, "ops", 11)
    recent = await finished_days_ago(api, "ops", 9)
    assert api.server.sweeper is not None

    assert await api.server.sweeper.sweep_once() == [old["id"]]

    assert (await api.get(f"/v1/runs/{old['id']}/tests")).json() == []
    assert len((await api.get(f"/v1/runs/{recent['id']}/tests")).json()) == 1
    for run in (old, recent):
        shown = (await api.get(f"/v1/runs/{run['id']}")).json()
        assert shown["tests"] == {"total": 1, "passed": 0, "failed": 1, "skipped": 0, "error": 0}
    insights = (await api.get("/v1/projects/ops/tests/insights", params={"days": 90})).json()
    assert [t["runs"] for t in insights] == [1]
