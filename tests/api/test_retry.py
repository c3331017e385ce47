"""A stored job's retry and labels; every claim is a new attempt (the lease's fencing token)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ishcd.db import runs as runs_db
from ishcd.services import dispatch
from tests.api.conftest import Api
from tests.api.test_recovery import serving


async def test_a_job_takes_labels_and_retry_and_shows_them(api: Api) -> None:
    await api.project("Ops")
    job = await api.job("ops", "true", name="j", labels=["gpu", "linux", "gpu"], retry=2)
    assert job["labels"] == ["gpu", "linux"]
    assert job["retry"] == {"count": 2, "only_lost": False}
    changed = await api.patch(
        "/v1/projects/ops/jobs/j", json={"retry": {"count": 1, "only_lost": True}, "labels": []}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["labels"] == []
    assert changed.json()["retry"] == {"count": 1, "only_lost": True}
    plain = await api.job("ops", "true", name="k")
    assert plain["labels"] == []
    assert plain["retry"] == {"count": 0, "only_lost": False}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"labels": ["no spaces"]}, "labels.0"),
        ({"labels": [f"l{i}" for i in range(9)]}, "labels"),
        ({"retry": 11}, "retry.count"),
        ({"retry": {"count": -1}}, "retry.count"),
        ({"retry": {"count": 1, "only_lost": "maybe"}}, "retry.only_lost"),
        ({"retry": None}, "retry"),
    ],
)
async def test_bad_labels_or_retry_are_refused_naming_the_field(
    api: Api, body: dict[str, object], field: str
) -> None:
    await api.project("Ops")
    await api.job("ops", "true", name="j")
    answer = await api.patch("/v1/projects/ops/jobs/j", json=body)
    assert answer.status_code == 422, answer.text
    assert field in answer.text


async def test_a_failed_run_is_queued_again_by_its_retry_and_its_log_keeps_both_attempts(
    api: Api, tmp_path: Path
) -> None:
    marker = tmp_path / "tried"
    script = f"if [ -e {marker} ]; then echo second; else touch {marker}; echo first; exit 3; fi"
    await api.project("Ops")
    await api.job("ops", script, name="j", retry=1)
    done = await api.wait((await api.start("ops", "j"))["id"])
    assert done["status"] == "complete", (done["log"], done["error_reason"])
    assert done["log"].startswith("first\n")
    assert "[ishcd] attempt 2 of 2" in done["log"]
    assert done["log"].endswith("second\n")


async def test_retry_runs_out(api: Api) -> None:
    await api.project("Ops")
    await api.job("ops", "echo no; exit 4", name="j", retry=2)
    done = await api.wait((await api.start("ops", "j"))["id"])
    assert done["status"] == "error"
    assert done["error_reason"] == "failed"
    assert done["exit_code"] == 4, done["log"]
    assert done["log"].count("no\n") == 3


async def test_only_lost_does_not_retry_a_failure(api: Api) -> None:
    await api.project("Ops")
    await api.job("ops", "echo no; exit 4", name="j", retry={"count": 2, "only_lost": True})
    done = await api.wait((await api.start("ops", "j"))["id"])
    assert done["status"] == "error"
    assert done["log"] == "no\n"


async def test_a_canceled_run_is_not_retried(api: Api) -> None:
    await api.project("Ops")
    await api.job("ops", "sleep 30", name="j", retry=3)
    run = await api.start("ops", "j")
    await api.wait(run["id"], until=("running",))
    assert (await api.post(f"/v1/runs/{run['id']}/cancel")).status_code in (200, 202)
    done = await api.wait(run["id"])
    assert done["error_reason"] == "canceled"


async def test_a_lost_run_goes_back_to_the_queue_and_the_lost_attempt_is_fenced_off(
    tmp_path: Path, database_url: str
) -> None:
    async with serving(tmp_path, database_url, runner_slots=0) as api:
        await api.project("Ops")
        await api.job("ops", "echo hi", name="j", retry={"count": 1, "only_lost": True})
        run = await api.start("ops", "j")
        runtime = api.server.runtime
        async with api.server.database.transaction() as conn:
            first = await dispatch.claim_run(conn, runtime, "agent-a/0")
        assert first is not None
        assert first.run.attempt == 1
        async with api.server.database.transaction() as conn:
            moved = await dispatch.give_up_runs(conn, runtime, [run["id"]])
        assert moved == {run["id"]: "queued"}
        shown = (await api.get(f"/v1/runs/{run['id']}")).json()
        assert shown["status"] == "queued"
        assert shown["started"] is None
        async with api.server.database.transaction() as conn:
            second = await dispatch.claim_run(conn, runtime, "agent-b/0")
        assert second is not None
        assert second.run.attempt == 2
        async with api.server.database.transaction() as conn:
            # The first attempt's runner comes back: every call of its lease is refused.
            assert await dispatch.heartbeat(conn, run["id"], "agent-a/0", 1) == "gone"
            assert await dispatch.check_lease(conn, run["id"], "agent-a/0", 1) == "gone"
            late = await dispatch.finish_run(
                conn, runtime, run["id"], "agent-a/0", 1, exit_code=0, error_reason=None, log_size=0
            )
            assert late is None
            # Even the right runner with a stale attempt, or a stale runner with this one.
            assert await dispatch.heartbeat(conn, run["id"], "agent-b/0", 1) == "gone"
            assert await dispatch.heartbeat(conn, run["id"], "agent-a/0", 2) == "gone"
            assert await dispatch.heartbeat(conn, run["id"], "agent-b/0", 2) == "continue"
        async with api.server.database.transaction() as conn:
            moved = await dispatch.give_up_runs(conn, runtime, [run["id"]])
        assert moved == {run["id"]: "ended"}  # retry spent
        done = (await api.get(f"/v1/runs/{run['id']}")).json()
        assert done["status"] == "error"
        assert done["error_reason"] == "runner_lost"


async def test_the_embedded_runner_takes_only_runs_whose_labels_it_has(
    tmp_path: Path, database_url: str
) -> None:
    async with serving(tmp_path, database_url, runner_labels="local,linux") as api:
        await api.project("Ops")
        await api.job("ops", "echo gpu", name="gpu", labels=["gpu"])
        await api.job("ops", "echo local", name="here", labels=["local"])
        elsewhere = await api.start("ops", "gpu")
        here = await api.wait((await api.start("ops", "here"))["id"])
        assert here["status"] == "complete"
        await asyncio.sleep(0.3)
        async with api.server.database.read() as conn:
            record = await runs_db.get_run(conn, elsewhere["id"])
        assert record is not None
        assert record.status == "queued"


async def test_retry_sent_in_part_keeps_the_other_part_and_unknown_keys_are_refused(
    api: Api,
) -> None:
    await api.project("Ops")
    await api.job("ops", "true", name="j", retry={"count": 2, "only_lost": True})
    changed = await api.patch("/v1/projects/ops/jobs/j", json={"retry": {"only_lost": False}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["retry"] == {"count": 0, "only_lost": False}
    refused = await api.patch("/v1/projects/ops/jobs/j", json={"retry": {"x": 1}})
    assert refused.status_code == 422
    assert "retry.x" in refused.text
