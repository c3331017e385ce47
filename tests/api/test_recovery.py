"""Nothing is lost: restarts, crashed runners, silent runners, shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from ishcd.db import runs as runs_db
from ishcd.server import embedded_runner_name
from ishcd.services import dispatch
from tests import stored_logs
from tests.api import conftest
from tests.api.conftest import Api, make_settings


@asynccontextmanager
async def serving(tmp_path: Path, database_url: str, **overrides: Any) -> AsyncIterator[Api]:
    """A server on the given database and data dir; the token of the first one that ran."""
    token_file = tmp_path / "token"
    token = token_file.read_text() if token_file.exists() else None
    async with conftest.serving(make_settings(tmp_path, database_url, **overrides), token) as api:
        token_file.write_text(api.token)
        yield api


async def test_queued_runs_survive_a_restart(tmp_path: Path, database_url: str) -> None:
    async with serving(tmp_path, database_url, runner_slots=0) as api:
        await api.project("Ops")
        await api.job("ops", "echo ran", name="j")
        queued = [await api.start("ops", "j") for _ in range(3)]
    async with serving(tmp_path, database_url) as api:
        for run in queued:
            done = await api.wait(run["id"])
            assert done["status"] == "complete"
            assert done["log"] == "ran\n"


async def test_runs_of_a_previous_server_process_end_runner_lost_at_start(
    tmp_path: Path, database_url: str
) -> None:
    async with serving(tmp_path, database_url, runner_slots=0) as api:
        await api.project("Ops")
        await api.job("ops", "sleep 30", name="j")
        run = await api.start("ops", "j")
        settings = api.server.settings
        # What the embedded runner of a crashed earlier process left behind.
        async with api.server.database.transaction() as conn:
            stale = f"{embedded_runner_name(settings)}:deadbeef/0"
            assert await dispatch.claim_run(conn, api.server.runtime, stale) is not None
        await api.server.logs.append(run["id"], 0, b"partial output\n")
    async with serving(tmp_path, database_url, runner_slots=0) as api:
        done = (await api.get(f"/v1/runs/{run['id']}")).json()
        assert done["status"] == "error"
        assert done["error_reason"] == "runner_lost"
        assert done["finished"] is not None
        assert done["log"].startswith("partial output\n")
        assert "the server restarted while it ran" in done["log"]


async def test_a_runner_that_stops_sending_heartbeats_loses_its_run(
    tmp_path: Path, database_url: str
) -> None:
    async with serving(tmp_path, database_url, runner_slots=0, runner_lost_after=1.0) as api:
        await api.project("Ops")
        await api.job("ops", "true", name="j")
        run = await api.start("ops", "j")
        async with api.server.database.transaction() as conn:
            assert (
                await dispatch.claim_run(conn, api.server.runtime, "agent-on-a-dead-host/0")
                is not None
            )
        done = await api.wait(run["id"], timeout=10)
        assert done["status"] == "error"
        assert done["error_reason"] == "runner_lost"
        assert "stopped sending heartbeats" in done["log"]


async def test_heartbeats_keep_a_long_run_alive(tmp_path: Path, database_url: str) -> None:
    overrides = {"runner_lost_after": 1.0, "heartbeat_interval": 0.2}
    async with serving(tmp_path, database_url, **overrides) as api:
        await api.project("Ops")
        await api.job("ops", "sleep 2.5; echo survived", name="j")
        run = await api.wait((await api.start("ops", "j"))["id"])
        assert run["status"] == "complete"
        assert run["log"] == "survived\n"


async def test_a_run_given_up_as_lost_is_abandoned_by_its_runner(
    tmp_path: Path, database_url: str
) -> None:
    overrides = {"heartbeat_interval": 0.2}
    async with serving(tmp_path, database_url, **overrides) as api:
        await api.project("Ops")
        await api.job("ops", "sleep 30", name="j")
        run = await api.start("ops", "j")
        await api.wait(run["id"], until=("running",))
        async with api.server.database.transaction() as conn:
            assert await dispatch.give_up_runs(conn, api.server.runtime, [run["id"]]) == {
                run["id"]: "ended"
            }
        # The runner hears "gone" at its next heartbeat and stops the process.
        for _ in range(100):
            if not api.server.pool or not api.server.pool._executions:
                break
            await asyncio.sleep(0.05)
        assert not api.server.pool._executions  # type: ignore[union-attr]
        async with api.server.database.read() as conn:
            record = await runs_db.get_run(conn, run["id"])
        assert record is not None
        assert record.error_reason == "runner_lost"


async def test_shutdown_ends_running_runs_instead_of_leaving_them_running(
    tmp_path: Path, database_url: str
) -> None:
    async with serving(tmp_path, database_url, shutdown_grace=0.5) as api:
        await api.project("Ops")
        await api.job("ops", "echo started; sleep 30", name="j")
        run = await api.start("ops", "j")
        await api.wait(run["id"], until=("running",))
    async with serving(tmp_path, database_url, runner_slots=0) as api:
        done = (await api.get(f"/v1/runs/{run['id']}")).json()
        assert done["status"] == "error"
        assert done["error_reason"] == "runner_lost"
        assert "shutting down" in done["log"]


async def test_a_run_whose_secrets_cannot_be_read_ends_setup_failed(
    tmp_path: Path, database_url: str
) -> None:
    async with serving(tmp_path, database_url, runner_slots=0) as api:
        await api.project("Ops")
        variables = [{"name": "PW", "default": "s3cr3t-value", "secret": True}]
        await api.job("ops", "echo $PW", name="j", variables=variables)
        run = await api.start("ops", "j")
    # The same database with another server key: the sealed env cannot be opened.
    async with serving(tmp_path, database_url, secret_key="another-key") as api:
        for _ in range(200):
            async with api.server.database.read() as conn:
                record = await runs_db.get_run(conn, run["id"])
            assert record is not None
            if record.status == "error":
                break
            await asyncio.sleep(0.02)
        assert record is not None
        assert record.error_reason == "setup_failed"
        assert b"server key" in await stored_logs.stored_bytes(api.server)
        # The runner goes on with other work.
        assert api.server.pool is not None
