"""The runner protocol over HTTP, driven by a raw client against a live server: work
by long poll, labels, pausing, leases (fencing), cancel, finishing, credentials."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ishcd.db import runs as runs_db
from ishcd.services import dispatch
from tests.api.runner_http import Agent, Live, live_server


@pytest.fixture
async def live(tmp_path: Path, database_url: str) -> AsyncIterator[Live]:
    async with live_server(tmp_path, database_url) as live:
        yield live


async def test_a_run_queued_while_a_request_is_held_is_given_to_it(live: Live) -> None:
    agent = await live.agent()
    held = asyncio.create_task(agent.request(wait=30))
    await asyncio.sleep(0.3)
    assert not held.done()  # nothing to give yet: it waits
    run = await live.queue("echo hello")
    response = await asyncio.wait_for(held, 20)  # answered when queued, not after 30 s
    assert response.status_code == 200, response.text
    got = response.json()
    assert got["run_id"] == run["id"]
    assert (got["attempt"], got["log_offset"]) == (1, 0)
    assert (got["project"], got["script"], got["checkout"], got["sections"]) == (
        "p",
        "echo hello",
        None,
        False,
    )
    assert got["env"]["ISHCD"] == "true"
    read = (await live.api.get(f"/v1/runs/{run['id']}")).json()
    assert read["status"] == "running"
    assert (await agent.request(wait=0)).status_code == 204  # it was given once


async def test_nothing_to_do_is_204_after_the_wait(live: Live) -> None:
    agent = await live.agent()
    assert (await agent.request(wait=0)).status_code == 204
    response = await agent.request(wait=0.5)
    assert response.status_code == 204
    assert response.content == b""


async def test_a_run_goes_only_to_a_runner_with_all_its_labels(live: Live) -> None:
    plain = await live.agent("plain", labels=("linux",))
    gpu = await live.agent("gpu", labels=("gpu", "linux"))
    run = await live.queue(labels=["gpu", "linux"])
    assert (await plain.request(wait=0.3)).status_code == 204
    assert (await gpu.claim())["run_id"] == run["id"]
    unlabeled = await live.queue()  # no labels: any runner
    assert (await plain.claim())["run_id"] == unlabeled["id"]


async def test_a_paused_runner_gets_no_work_and_resumed_gets_it(live: Live) -> None:
    agent = await live.agent()
    paused = await live.api.post(f"/v1/runners/{agent.id}/pause")
    assert paused.status_code == 200, paused.text
    run = await live.queue()
    assert (await agent.request(wait=0.3)).status_code == 204
    assert (await live.api.post(f"/v1/runners/{agent.id}/resume")).status_code == 200
    assert (await agent.claim())["run_id"] == run["id"]


async def test_a_deleted_runner_is_refused_at_once(live: Live) -> None:
    agent = await live.agent()
    await live.queue()
    got = await agent.claim()
    assert (await live.api.delete(f"/v1/runners/{agent.id}")).status_code == 204
    for response in (
        await agent.request(wait=0),
        await agent.heartbeat(got["run_id"], 1),
        await agent.log(got["run_id"], 1, 0, b"x"),
        await agent.finish(got["run_id"], 1, 0),
    ):
        assert response.status_code == 401, response.text
        assert response.json()["message"] == "unknown or deleted runner"


async def test_a_lost_attempt_can_no_longer_write_or_finish(live: Live) -> None:
    first, second = await live.agent("first"), await live.agent("second")
    run = await live.queue("echo hi", retry={"count": 1, "only_lost": True})
    run_id = run["id"]
    got = await first.claim()
    assert (await first.log(run_id, 1, 0, b"from the first\n")).json() == {"size": 15}
    async with live.server.database.transaction() as conn:  # as the reaper would
        moved = await dispatch.give_up_runs(conn, live.server.runtime, [run_id])
    assert moved == {run_id: "queued"}
    assert (await first.heartbeat(run_id, 1)).status_code == 409  # queued: no one's
    again = await second.claim()
    assert (again["run_id"], again["attempt"]) == (run_id, 2)
    assert got["attempt"] == 1
    offset = again["log_offset"]
    assert offset > 15  # after the first attempt's log and a line saying so

    late = [
        await first.heartbeat(run_id, 1),
        await first.control(run_id, 1),
        await first.log(run_id, 1, 15, b"late\n"),
        await first.log(run_id, 1, offset, b"late\n"),
        await first.sections(run_id, 1, []),
        await first.finish(run_id, 1, 15, exit_code=1),
        await second.heartbeat(run_id, 1),  # the right runner, the wrong attempt
    ]
    assert [r.status_code for r in late] == [409] * len(late), [r.text for r in late]
    assert "not this runner's" in late[0].json()["message"]

    assert (await second.heartbeat(run_id, 2)).json() == {"control": "continue"}
    size = (await second.log(run_id, 2, offset, b"from the second\n")).json()["size"]
    assert (await second.finish(run_id, 2, size)).json() == {"status": "complete"}
    assert (await first.finish(run_id, 1, 15, exit_code=1)).status_code == 409
    done = await live.api.wait(run_id)
    assert (done["status"], done["exit_code"]) == ("complete", 0)
    log = (await live.api.get(f"/v1/runs/{run_id}/log")).text
    assert log.startswith("from the first\n")
    assert log.endswith("from the second\n")
    assert "late" not in log
    assert "attempt 2 of 2" in log


async def test_another_runner_cannot_touch_a_run(live: Live) -> None:
    owner, other = await live.agent("owner"), await live.agent("other")
    await live.queue()
    got = await owner.claim()
    run_id = got["run_id"]
    assert (await other.heartbeat(run_id, 1)).status_code == 409
    assert (await other.log(run_id, 1, 0, b"x")).status_code == 409
    assert (await other.finish(run_id, 1, 0)).status_code == 409
    for missing in ("00000000-0000-4000-8000-000000000000", "nope", "x" * 300):
        assert (await owner.heartbeat(missing, 1)).status_code == 404
        assert (await owner.log(missing, 1, 0, b"x")).status_code == 404
        assert (await owner.finish(missing, 1, 0)).status_code == 404
    assert (await owner.heartbeat(run_id, 1)).json() == {"control": "continue"}


async def test_a_cancel_answers_a_held_control_request(live: Live) -> None:
    agent = await live.agent()
    run = await live.queue()
    got = await agent.claim()
    run_id, attempt = got["run_id"], got["attempt"]
    assert (await agent.control(run_id, attempt, wait=0.2)).json() == {"control": "continue"}
    held = asyncio.create_task(agent.control(run_id, attempt, wait=30))
    await asyncio.sleep(0.3)
    assert not held.done()
    canceled = await live.api.post(f"/v1/runs/{run['id']}/cancel")
    assert canceled.status_code == 200, canceled.text
    response = await asyncio.wait_for(held, 20)  # at once, not after 30 s
    assert response.json() == {"control": "cancel"}
    assert (await agent.heartbeat(run_id, attempt)).json() == {"control": "cancel"}
    assert (await agent.control(run_id, attempt, wait=30)).json() == {"control": "cancel"}
    finished = await agent.finish(run_id, attempt, 0, exit_code=None, error_reason="canceled")
    assert finished.json() == {"status": "error"}
    done = await live.api.wait(run_id)
    assert (done["status"], done["error_reason"]) == ("error", "canceled")
    assert run_id not in live.server.signals.cancel._events  # the latch went with the run


async def test_finish_twice_answers_the_same_and_a_short_log_is_refused(live: Live) -> None:
    agent = await live.agent()
    await live.queue()
    got = await agent.claim()
    run_id = got["run_id"]
    assert (await agent.log(run_id, 1, 0, b"12345")).json() == {"size": 5}
    short = await agent.finish(run_id, 1, 8, exit_code=3)
    assert short.status_code == 416, short.text
    assert short.headers["X-Log-Size"] == "5"
    assert (await live.api.get(f"/v1/runs/{run_id}")).json()["status"] == "running"
    for _ in range(2):
        response = await agent.finish(run_id, 1, 5, exit_code=3)
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "error"}
    other = await agent.finish(run_id, 1, 5, exit_code=0)  # not what ended it
    assert other.status_code == 409
    done = (await live.api.get(f"/v1/runs/{run_id}")).json()
    assert (done["status"], done["exit_code"], done["error_reason"]) == ("error", 3, "failed")
    assert done["log"] == "12345"


async def test_a_whole_run_as_a_raw_client(live: Live) -> None:
    agent = await live.agent()
    run = await live.queue("true")
    got = await agent.claim()
    run_id = got["run_id"]
    chunks = [b"[ishcd] step 1/2: build\n", b"compiling\n", b"[ishcd] step 2/2: test\nok\n"]
    offset = 0
    for chunk in chunks:
        answer = await agent.log(run_id, 1, offset, chunk)
        assert answer.status_code == 200, answer.text
        offset += len(chunk)
        assert answer.json() == {"size": offset}
    assert (await agent.heartbeat(run_id, 1)).json() == {"control": "continue"}
    middle = len(chunks[0]) + len(chunks[1])
    sections = [
        {
            "number": 1,
            "name": "build",
            "start": 0,
            "started": 1000.0,
            "end": middle,
            "finished": 1002.0,
            "status": "complete",
            "exit_code": 0,
        },
        {
            "number": 2,
            "name": "test",
            "start": middle,
            "started": 1002.0,
            "end": offset,
            "finished": 1003.5,
            "status": "complete",
            "exit_code": 0,
        },
    ]
    assert (await agent.sections(run_id, 1, sections)).status_code == 204
    assert (await agent.finish(run_id, 1, offset)).json() == {"status": "complete"}
    done = await live.api.wait(run["id"])
    assert (done["status"], done["exit_code"], done["error_reason"]) == ("complete", 0, None)
    assert done["log"] == b"".join(chunks).decode()
    log = await live.api.get(f"/v1/runs/{run_id}/log")
    assert log.content == b"".join(chunks)
    async with live.server.database.read() as conn:
        stored = await runs_db.get_run(conn, run_id)
    assert stored is not None
    assert stored.log_size == offset
    assert stored.runner_id == f"runner:{agent.id}:0"
    saved = await live.server.logs.sections(run_id)
    assert saved is not None
    assert [(s["name"], s["start"], s["end"], s["status"]) for s in saved] == [
        ("build", 0, middle, "complete"),
        ("test", middle, offset, "complete"),
    ]


async def test_only_a_runner_credential_works_on_the_runner_paths(live: Live) -> None:
    agent = await live.agent()
    await live.queue()
    run_id = (await agent.claim())["run_id"]
    user = {"Authorization": f"Bearer {live.api.token}"}
    runner = {"Authorization": f"Bearer {agent.credential}"}
    http = live.api.http
    for headers in (user, {}, {"Authorization": "Bearer ishr_nope"}):
        for response in (
            await http.post("/v1/runner/jobs/request", json={"wait": 0}, headers=headers),
            await http.post(
                f"/v1/runner/jobs/{run_id}/heartbeat", json={"attempt": 1}, headers=headers
            ),
            await http.put(
                f"/v1/runner/jobs/{run_id}/log?attempt=1&offset=0", content=b"x", headers=headers
            ),
            await http.get(f"/v1/runner/jobs/{run_id}/source?attempt=1", headers=headers),
        ):
            assert response.status_code == 401, (headers, response.text)
    for path in ("/v1/projects", f"/v1/runs/{run_id}", "/v1/runners", "/v1/account"):
        response = await http.get(path, headers=runner)
        assert response.status_code == 401, (path, response.text)
    response = await http.post("/v1/projects", json={"name": "X"}, headers=runner)
    assert response.status_code == 401


async def test_requests_are_checked(live: Live) -> None:
    agent: Agent = await live.agent()
    for body, field in (
        ({"slot": "no spaces"}, "slot"),
        ({"slot": ""}, "slot"),
        ({"slot": "x" * 101}, "slot"),
        ({"wait": 31}, "wait"),
        ({"wait": -1}, "wait"),
        ({"other": 1}, "other"),
    ):
        response = await agent.http.post("/v1/runner/jobs/request", json=body)
        assert response.status_code == 422, body
        assert field in [e["field"] for e in response.json()["errors"]], response.json()
    await live.queue()
    run_id = (await agent.claim())["run_id"]
    for response, field in (
        (await agent.heartbeat(run_id, 0), "attempt"),
        (await agent.control(run_id, 1, wait=31), "wait"),
        (await agent.log(run_id, 1, -1, b""), "offset"),
        (await agent.finish(run_id, 1, -1), "log_size"),
        (await agent.sections(run_id, 1, [{"number": 1}]), "sections[0].name"),
    ):
        assert response.status_code == 422, response.text
        assert field in [e["field"] for e in response.json()["errors"]], response.json()


async def test_a_hold_is_cut_to_the_servers_most(tmp_path: Path, database_url: str) -> None:
    async with live_server(tmp_path, database_url, runner_max_wait=0.2) as live:
        agent = await live.agent()
        asked = asyncio.create_task(agent.request(wait=30))
        # ISHCD_RUNNER_MAX_WAIT holds it 0.2 s, not the 30 asked for: the load balancer's
        # idle timeout must never cut a held request.
        response = await asyncio.wait_for(asked, 10)
        assert response.status_code == 204
