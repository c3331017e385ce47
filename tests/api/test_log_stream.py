"""The log as Server-Sent Events: chunks with end offsets as ids, resuming, keepalives,
the final status, disconnects, several readers; and the text follow as it was."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from ishcd.api.app import create_app
from ishcd.services import log_events
from tests.api.conftest import Api, bearer
from tests.e2e.conftest import free_port

SSE = {"Accept": "text/event-stream"}


@dataclass
class Event:
    name: str
    data: Any
    id: int | None


def parse(body: str) -> tuple[list[Event], int]:
    """The events of a stream, and how many keepalive comments it had."""
    events, comments = [], 0
    for block in body.split("\n\n"):
        if not block:
            continue
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                comments += 1
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        if "data" in fields:
            event_id = int(fields["id"]) if "id" in fields else None
            events.append(
                Event(fields.get("event", "message"), json.loads(fields["data"]), event_id)
            )
    return events, comments


@pytest.fixture
async def project(api: Api) -> dict[str, Any]:
    return await api.project("Ops")


async def stream(api: Api, run_id: str, **headers: str) -> httpx.Response:
    return await api.get(f"/v1/runs/{run_id}/log", headers={**api.auth, **SSE, **headers})


async def test_chunks_carry_their_end_offset_and_the_stream_ends_with_the_status(
    api: Api, project: dict[str, Any]
) -> None:
    # A multi-byte character, a byte that is not UTF-8, lines written in several chunks.
    script = "printf 'one\\n'; sleep 0.2; printf 'caf\\303\\251 \\377\\n'; sleep 0.2; echo three"
    await api.job("ops", script, name="j")
    run = await api.start("ops", "j")
    response = await stream(api, run["id"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events, _ = parse(response.text)
    logs, last = events[:-1], events[-1]
    raw = (await api.get(f"/v1/runs/{run['id']}/log")).content
    assert "".join(e.data for e in logs) == raw.decode(errors="replace")
    assert all(e.name == "log" for e in logs)
    ends = [e.id for e in logs]
    assert ends[-1] == len(raw)
    for event, end in zip(logs, ends, strict=True):  # each id: the bytes sent up to it
        assert end is not None
        assert raw[:end].decode(errors="replace").endswith(event.data)
    assert last.name == "status"
    assert last.data == {"status": "complete", "exit_code": 0, "error_reason": None}


async def test_a_failed_run_ends_with_its_status_and_reason(
    api: Api, project: dict[str, Any]
) -> None:
    await api.job("ops", "echo bye; exit 3", name="j")
    run = await api.wait((await api.start("ops", "j"))["id"])
    events, _ = parse((await stream(api, run["id"])).text)
    assert [e.name for e in events] == ["log", "status"]
    assert events[0].data == "bye\n"
    assert events[0].id == 4
    assert events[1].data == {"status": "error", "exit_code": 3, "error_reason": "failed"}


async def test_last_event_id_resumes_exactly_and_wins_over_offset(
    api: Api, project: dict[str, Any]
) -> None:
    await api.job("ops", "for i in 1 2 3 4 5; do echo line $i; sleep 0.05; done", name="j")
    run = await api.wait((await api.start("ops", "j"))["id"])
    raw = (await api.get(f"/v1/runs/{run['id']}/log")).text
    for resume_at in (0, 7, 13, len(raw)):
        response = await stream(api, run["id"], **{"Last-Event-ID": str(resume_at)})
        events, _ = parse(response.text)
        assert "".join(e.data for e in events if e.name == "log") == raw[resume_at:]
        assert events[-1].name == "status"
    both = await api.get(
        f"/v1/runs/{run['id']}/log",
        params={"offset": 2},
        headers={**api.auth, **SSE, "Last-Event-ID": "7"},
    )
    assert "".join(e.data for e in parse(both.text)[0] if e.name == "log") == raw[7:]
    by_offset = await api.get(
        f"/v1/runs/{run['id']}/log", params={"offset": 2}, headers={**api.auth, **SSE}
    )
    assert "".join(e.data for e in parse(by_offset.text)[0] if e.name == "log") == raw[2:]


async def test_resuming_from_each_id_of_a_live_stream_gives_no_gap_and_no_duplicate(
    api: Api, project: dict[str, Any]
) -> None:
    await api.job("ops", "for i in $(seq 1 20); do echo line $i; sleep 0.01; done", name="j")
    run = await api.start("ops", "j")
    events, _ = parse((await stream(api, run["id"])).text)
    raw = (await api.get(f"/v1/runs/{run['id']}/log")).text
    for event in events[:-1]:
        assert event.id is not None
        rest, _ = parse((await stream(api, run["id"], **{"Last-Event-ID": str(event.id)})).text)
        assert raw[: event.id] + "".join(e.data for e in rest[:-1]) == raw


async def test_a_quiet_stream_gets_keepalive_comments(
    api: Api, project: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_events, "KEEPALIVE_SECONDS", 0.02)
    await api.job("ops", "echo a; sleep 0.5; echo b", name="j")
    run = await api.start("ops", "j")
    response = await stream(api, run["id"])
    assert ": keepalive\n\n" in response.text
    events, comments = parse(response.text)
    assert comments >= 1
    assert "".join(e.data for e in events[:-1]) == "a\nb\n"


async def test_a_bad_last_event_id_is_422_naming_it(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "true", name="j")
    run = await api.start("ops", "j")
    response = await stream(api, run["id"], **{"Last-Event-ID": "abc"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Last-Event-ID"


async def test_range_parameters_are_not_for_streams(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "true", name="j")
    run = await api.start("ops", "j")
    response = await api.get(
        f"/v1/runs/{run['id']}/log", params={"tail": 10}, headers={**api.auth, **SSE}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "tail"


async def test_the_job_path_streams_too_and_visibility_is_as_for_the_log(
    api: Api, project: dict[str, Any]
) -> None:
    await api.job("ops", "echo hi", name="j")
    run = await api.wait((await api.start("ops", "j"))["id"])
    path = f"/v1/projects/ops/jobs/j/runs/{run['id']}/log"
    events, _ = parse((await api.get(path, headers={**api.auth, **SSE})).text)
    assert events[0].data == "hi\n"
    stranger = await api.user("stranger")
    assert (await api.get(path, headers={**bearer(stranger), **SSE})).status_code == 404
    reader = await api.user("reader")
    await api.grant(project["id"], reader, "read")
    assert (await api.get(path, headers={**bearer(reader), **SSE})).status_code == 200
    assert (await api.http.get(path, headers=SSE)).status_code == 401


async def test_text_follow_is_as_it_was(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "echo a; sleep 0.1; echo b", name="j")
    run = await api.start("ops", "j")
    response = await api.get(f"/v1/runs/{run['id']}/log", params={"follow": 1})
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "a\nb\n"


async def _read_events(client: httpx.AsyncClient, url: str, until: int | None) -> list[Event]:
    """Events from a real connection; with ``until``, hang up after that many."""
    got: list[Event] = []
    async with client.stream("GET", url, headers=SSE) as response:
        assert response.status_code == 200
        buffer = ""
        async for text in response.aiter_text():
            buffer += text
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                got.extend(parse(block + "\n\n")[0])
                if until is not None and len(got) >= until:
                    return got
    return got


def followers() -> int:
    """Streams waiting for their next chunk of log in this process."""
    names = [getattr(task.get_coro(), "__name__", "") for task in asyncio.all_tasks()]
    return names.count("_next")


async def until_followers(count: int) -> None:
    for _ in range(1000):
        if followers() == count:
            return
        await asyncio.sleep(0.01)
    assert followers() == count


async def test_several_readers_of_a_running_run_and_a_reader_that_hangs_up(
    api: Api, project: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_events, "KEEPALIVE_SECONDS", 0.05)
    go = tmp_path / "go"
    await api.job(
        "ops", f"echo first; while [ ! -e {go} ]; do sleep 0.02; done; echo second", name="j"
    )
    run = await api.start("ops", "j")
    port = free_port()
    app = create_app(api.server.settings, api.server)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    web = uvicorn.Server(config)
    serving = asyncio.create_task(web.serve())
    try:
        while not web.started:
            await asyncio.sleep(0.01)
        url = f"http://127.0.0.1:{port}/v1/runs/{run['id']}/log"
        async with httpx.AsyncClient(headers=api.auth, timeout=30) as client:
            # One reader hangs up after the first event, while the run still goes:
            # its follower ends (no task of it is left waiting for the log).
            early = await _read_events(client, url, until=1)
            assert early[0].data == "first\n"
            await until_followers(0)
            readers = [asyncio.create_task(_read_events(client, url, None)) for _ in range(3)]
            await until_followers(3)
            go.touch()
            for events in await asyncio.gather(*readers):
                assert "".join(e.data for e in events if e.name == "log") == "first\nsecond\n"
                assert events[-1].data["status"] == "complete"
            await until_followers(0)
    finally:
        web.should_exit = True
        await serving
