"""Logs: by byte offset while the run goes, inline when it ends, capped at 1 MiB."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ishcd.logstore import INLINE_PART
from ishcd.logstore_db import DatabaseLogStore
from ishcd.logstore_file import FileLogStore
from tests import stored_logs
from tests.api.conftest import Api


@pytest.fixture
async def project(api: Api) -> dict[str, Any]:
    return await api.project("Ops")


async def test_read_by_offset_while_running_then_complete(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    go = tmp_path / "go"
    await api.job(
        "ops", f"echo first; while [ ! -e {go} ]; do sleep 0.02; done; echo second", name="j"
    )
    run = await api.start("ops", "j")
    path = f"/v1/projects/ops/jobs/j/runs/{run['id']}/log"
    for _ in range(500):
        response = await api.get(path)
        if response.text:
            break
        await asyncio.sleep(0.02)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "first\n"
    assert response.headers["X-Next-Offset"] == "6"
    assert response.headers["X-Log-Complete"] == "false"
    go.touch()
    await api.wait(run["id"])
    rest = await api.get(path, params={"offset": 6})
    assert rest.text == "second\n"
    assert rest.headers["X-Next-Offset"] == "13"
    assert rest.headers["X-Log-Complete"] == "true"
    past = await api.get(path, params={"offset": 13})
    assert past.text == ""
    assert past.headers["X-Log-Complete"] == "true"
    by_id = await api.get(f"/v1/runs/{run['id']}/log", params={"offset": 3})
    assert by_id.text == "st\nsecond\n"


async def test_bad_offset_is_422(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "true", name="j")
    run = await api.start("ops", "j")
    response = await api.get(f"/v1/runs/{run['id']}/log", params={"offset": -1})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "offset"


async def test_log_of_a_missing_run_is_404(api: Api, project: dict[str, Any]) -> None:
    response = await api.get("/v1/runs/3abed1d7-68ec-4151-ae87-edcc918315b4/log")
    assert response.status_code == 404


async def test_no_output_means_a_null_log(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "true", name="j")
    run = await api.wait((await api.start("ops", "j"))["id"])
    assert run["log"] is None
    assert run["log_truncated"] is False


async def test_a_log_past_1_mib_is_cut_in_the_middle_but_whole_at_log(
    api: Api, project: dict[str, Any]
) -> None:
    # 3 MiB of numbered lines: head and tail must be the real first and last bytes.
    script = "seq 1 400000 | awk '{printf \"%07d\\n\", $1}'"
    await api.job("ops", script, name="big")
    run = await api.wait((await api.start("ops", "big"))["id"])
    total = 400000 * 8
    assert run["status"] == "complete"
    assert run["log_truncated"] is True
    log = run["log"]
    assert log.startswith("0000001\n0000002\n")
    assert log.endswith("0399999\n0400000\n")
    omitted = total - 2 * INLINE_PART
    assert f"[... {omitted} bytes of log omitted" in log
    head, _, tail = log.partition("\n[... ")
    assert len(head.encode()) == INLINE_PART
    assert len(tail.split("...]\n", 1)[1].encode()) == INLINE_PART
    full = await api.get(f"/v1/runs/{run['id']}/log")
    assert len(full.content) == total
    assert full.headers["X-Next-Offset"] == str(total)


async def test_exactly_1_mib_is_not_cut(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "head -c 1048576 /dev/zero | tr '\\0' a", name="j")
    run = await api.wait((await api.start("ops", "j"))["id"])
    assert run["log_truncated"] is False
    assert len(run["log"]) == 1048576


async def test_invalid_utf8_output_is_shown_with_replacement_characters(
    api: Api, project: dict[str, Any]
) -> None:
    await api.job("ops", "printf 'ok \\377\\n'", name="j")
    run = await api.wait((await api.start("ops", "j"))["id"])
    assert run["log"] == "ok \ufffd\n"
    raw = await api.get(f"/v1/runs/{run['id']}/log")
    assert raw.content == b"ok \xff\n"


async def test_logs_live_in_the_database_on_postgresql_and_in_files_on_sqlite(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    """ISHCD_LOG_STORE=auto: what the rest of this suite reads is stored so."""
    await api.job("ops", "echo stored where it should be", name="j")
    run = await api.wait((await api.start("ops", "j"))["id"])
    assert run["log"] == "stored where it should be\n"
    on_postgres = api.server.database.dialect == "postgresql"
    assert isinstance(api.server.logs, DatabaseLogStore) == on_postgres
    assert isinstance(api.server.logs, FileLogStore) == (not on_postgres)
    assert b"stored where it should be" in await stored_logs.stored_bytes(api.server)
    assert any((tmp_path / "data" / "logs").rglob("*.log")) == (not on_postgres)
