"""An agent's log over HTTP: appended by offset, idempotent, gaps refused, chunks limited;
and a request for work whose client went away claims nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ishcd.api.routers.runner import STREAMED
from ishcd.services.runner_jobs import MAX_LOG_CHUNK
from tests.api.runner_http import Agent, Live, live_server


@pytest.fixture
async def live(tmp_path: Path, database_url: str) -> AsyncIterator[Live]:
    async with live_server(tmp_path, database_url) as live:
        yield live


async def claimed(live: Live) -> tuple[Agent, str]:
    agent = await live.agent()
    await live.queue()
    return agent, (await agent.claim())["run_id"]


async def test_a_resent_chunk_is_stored_once_and_an_overlap_adds_its_new_part(
    live: Live,
) -> None:
    agent, run_id = await claimed(live)
    assert (await agent.log(run_id, 1, 0, b"hello ")).json() == {"size": 6}
    assert (await agent.log(run_id, 1, 0, b"hello ")).json() == {"size": 6}  # resent
    assert (await agent.log(run_id, 1, 3, b"lo world")).json() == {"size": 11}  # overlaps
    assert (await agent.log(run_id, 1, 11, b"")).json() == {"size": 11}
    assert (await agent.log(run_id, 1, 2, b"ll")).json() == {"size": 11}  # all there
    assert (await agent.finish(run_id, 1, 11)).json() == {"status": "complete"}
    assert (await live.api.get(f"/v1/runs/{run_id}/log")).content == b"hello world"


async def test_a_gap_is_refused_with_where_to_send_from(live: Live) -> None:
    agent, run_id = await claimed(live)
    assert (await agent.log(run_id, 1, 0, b"abc")).json() == {"size": 3}
    gap = await agent.log(run_id, 1, 5, b"fgh")
    assert gap.status_code == 416, gap.text
    assert gap.headers["X-Log-Size"] == "3"
    body = gap.json()
    assert set(body) == {"message", "errors"}
    assert "send from byte 3" in body["message"]
    assert (await agent.log(run_id, 1, 3, b"defgh")).json() == {"size": 8}
    assert (await agent.finish(run_id, 1, 8)).status_code == 200
    assert (await live.api.get(f"/v1/runs/{run_id}/log")).content == b"abcdefgh"


async def test_a_chunk_of_4_mib_is_taken_and_a_larger_one_is_413(live: Live) -> None:
    agent, run_id = await claimed(live)
    whole = bytes(range(256)) * (MAX_LOG_CHUNK // 256)
    assert len(whole) == MAX_LOG_CHUNK  # over the server's 1 MiB for other bodies
    assert (await agent.log(run_id, 1, 0, whole)).json() == {"size": MAX_LOG_CHUNK}
    over = await agent.log(run_id, 1, MAX_LOG_CHUNK, b"x" * (MAX_LOG_CHUNK + 1))
    assert over.status_code == 413, over.text
    assert over.json()["errors"] == [
        {"field": "body", "message": f"must be at most {MAX_LOG_CHUNK} bytes"}
    ]

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(5):
            yield b"y" * (1024 * 1024)

    over = await agent.log(run_id, 1, MAX_LOG_CHUNK, chunked())
    assert over.status_code == 413, over.text
    assert (await agent.log(run_id, 1, MAX_LOG_CHUNK, b"end")).json() == {"size": MAX_LOG_CHUNK + 3}
    assert (await agent.finish(run_id, 1, MAX_LOG_CHUNK + 3)).status_code == 200
    log = await live.api.get(f"/v1/runs/{run_id}/log")
    assert log.content == whole + b"end"


def test_only_the_log_route_reads_its_own_body() -> None:
    assert STREAMED.fullmatch("/v1/runner/jobs/abc/log")
    for path in ("/v1/runner/jobs/abc/sections", "/v1/runner/jobs/abc/log/x", "/v1/projects"):
        assert not STREAMED.fullmatch(path)  # the request guard's 1 MiB holds there


async def test_a_live_follower_sees_an_agents_log_as_it_comes(live: Live) -> None:
    agent, run_id = await claimed(live)
    assert (await agent.log(run_id, 1, 0, b"one\n")).status_code == 200
    async with live.api.http.stream(
        "GET",
        f"/v1/runs/{run_id}/log",
        params={"offset": 0},
        headers={**live.api.auth, "Accept": "text/event-stream"},
    ) as stream:
        lines = stream.aiter_lines()
        seen = ""
        while "one" not in seen:
            seen += await anext(lines)
        await agent.log(run_id, 1, 4, b"two\n")
        while "two" not in seen:
            seen += await anext(lines)
        await agent.finish(run_id, 1, 8)
        while "event: status" not in seen:
            seen += await anext(lines)


async def test_a_request_whose_client_went_away_claims_nothing(live: Live) -> None:
    gone, other = await live.agent("gone"), await live.agent("other")
    held = asyncio.create_task(gone.request(wait=30))
    await asyncio.sleep(0.3)
    held.cancel()  # the client hangs up mid-wait
    with pytest.raises(asyncio.CancelledError):
        await held
    await gone.http.aclose()
    await asyncio.sleep(0.3)
    run = await live.queue()
    assert (await other.claim(wait=10))["run_id"] == run["id"]
