"""Agents' uploads over HTTP (``PUT /v1/runner/jobs/{run}/uploads/{kind}``): streamed to a
staged file and limited as they come, the lease checked, refusals passed on; and the
agent's side (``HttpProtocol.upload``) against it."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from ishcd.api.routers.runner import STREAMED
from ishcd.db.query import Query
from ishcd.db.runs import RunRecord
from ishcd.db.tables import blobs
from ishcd.runner.http import HttpProtocol
from ishcd.runner.protocol import Lease, LeaseLost, UploadRefused
from ishcd.services import uploads
from ishcd.services.staging import Staged
from tests.api.runner_http import Agent, Live, live_server

LIMIT = 3 * 1024 * 1024


@pytest.fixture
async def live(tmp_path: Path, database_url: str) -> AsyncIterator[Live]:
    async with live_server(tmp_path, database_url) as live:
        yield live


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, Staged]]:
    """A handler of kind ``test`` that keeps each file as a blob, or refuses."""
    got: list[tuple[str, str, Staged]] = []

    async def keep(
        keeping: uploads.Keeping, run: RunRecord, name: str, staged: Staged
    ) -> dict[str, Any]:
        got.append((run.id, name, staged))
        if name.startswith("refuse"):
            raise UploadRefused(f"{name} is not kept here", 413 if "big" in name else 422)
        blob = await keeping.blobs.adopt(staged.path, staged.sha256, staged.size)
        return {"stored": True, "sha256": blob.sha256, "size": blob.size}

    monkeypatch.setitem(uploads.HANDLERS, "test", keep)
    monkeypatch.setitem(uploads.LIMITS, "test", lambda settings: LIMIT)
    return got


async def claimed(live: Live) -> tuple[Agent, str]:
    agent = await live.agent()
    await live.queue()
    return agent, (await agent.claim())["run_id"]


async def put(agent: Agent, run_id: str, body: Any, kind: str = "test", **params: Any) -> Any:
    params = {"attempt": 1, "name": "dist/app.whl", **params}
    return await agent.http.put(
        f"/v1/runner/jobs/{run_id}/uploads/{kind}",
        params=params,
        content=body,
        headers={"Content-Type": "application/octet-stream"},
    )


def staging_of(live: Live) -> list[str]:
    return os.listdir(live.server.settings.staging_dir)


async def read(live: Live, sha: str) -> bytes:
    return b"".join([piece async for piece in live.server.blobs.read(sha)])


def protocol_of(live: Live, agent: Agent, tmp_path: Path) -> HttpProtocol:
    return HttpProtocol(live.url, agent.credential, tmp_path / "spool")


def test_the_upload_route_reads_its_own_body() -> None:
    assert STREAMED.fullmatch("/v1/runner/jobs/abc/uploads/artifact")
    assert not STREAMED.fullmatch("/v1/runner/jobs/abc/uploads/artifact/x")


async def test_an_agent_uploads_a_file_streamed_and_kept_by_content(
    live: Live, kept: list[tuple[str, str, Staged]], tmp_path: Path
) -> None:
    agent, run_id = await claimed(live)
    data = os.urandom(LIMIT)  # over the request guard's 1 MiB for other bodies
    sha = hashlib.sha256(data).hexdigest()
    path = tmp_path / "app.whl"
    path.write_bytes(data)
    protocol = protocol_of(live, agent, tmp_path)
    try:
        answer = await protocol.upload(Lease(run_id, "x", 1), "test", "dist/app.whl", path)
    finally:
        await protocol.close()
    assert answer == {"stored": True, "sha256": sha, "size": LIMIT}
    assert [(r, n, s.sha256, s.size) for r, n, s in kept] == [(run_id, "dist/app.whl", sha, LIMIT)]
    assert await read(live, sha) == data

    async def pieces() -> AsyncIterator[bytes]:  # chunked, no Content-Length
        for start in range(0, len(data), 100_000):
            yield data[start : start + 100_000]

    again = await put(agent, run_id, pieces(), name="again.whl")
    assert again.status_code == 200, again.text
    assert again.json()["sha256"] == sha
    assert staging_of(live) == []


async def test_a_file_past_the_limit_is_413_and_nothing_is_kept(
    live: Live, kept: list[tuple[str, str, Staged]]
) -> None:
    agent, run_id = await claimed(live)
    over = await put(agent, run_id, b"x" * (LIMIT + 1))  # said by its Content-Length
    assert over.status_code == 413, over.text
    assert over.json()["errors"] == [{"field": "body", "message": f"must be at most {LIMIT} bytes"}]

    async def pieces() -> AsyncIterator[bytes]:  # found as it comes
        for _ in range(4):
            yield b"y" * (1024 * 1024)

    over = await put(agent, run_id, pieces())
    assert over.status_code == 413, over.text
    assert kept == []
    assert staging_of(live) == []
    assert (await put(agent, run_id, b"fits")).status_code == 200


async def test_bad_kinds_names_and_attempts(
    live: Live, kept: list[tuple[str, str, Staged]]
) -> None:
    agent, run_id = await claimed(live)
    unknown = await put(agent, run_id, b"x", kind="nope")
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["errors"][0]["field"] == "kind"
    for name in ("", "n" * 1025):
        bad = await put(agent, run_id, b"x", name=name)
        assert bad.status_code == 422, bad.text
        assert bad.json()["errors"][0]["field"] == "name"
    stale = await put(agent, run_id, b"x", attempt=2)
    assert stale.status_code == 409, stale.text
    other = await live.agent("other")
    assert (await put(other, run_id, b"x")).status_code == 409
    missing = await put(agent, "00000000-0000-4000-8000-000000000000", b"x")
    assert missing.status_code == 404
    assert (await put(agent, "not-a-run", b"x")).status_code == 404
    assert (await agent.finish(run_id, 1, 0)).status_code == 200
    assert (await put(agent, run_id, b"x")).status_code == 409  # the run ended
    assert kept == []
    assert staging_of(live) == []


async def test_a_run_lost_during_the_upload_keeps_nothing(
    live: Live, kept: list[tuple[str, str, Staged]]
) -> None:
    agent, run_id = await claimed(live)

    async def pieces() -> AsyncIterator[bytes]:
        yield b"first half "
        # The run ends (its runner finished it elsewhere) while the file is on its way.
        assert (await agent.finish(run_id, 1, 0)).status_code == 200
        yield b"second half"

    lost = await put(agent, run_id, pieces())
    assert lost.status_code == 409, lost.text
    assert kept == []
    assert staging_of(live) == []


async def test_refusals_are_the_handlers_and_the_agent_gets_them(
    live: Live, kept: list[tuple[str, str, Staged]], tmp_path: Path
) -> None:
    agent, run_id = await claimed(live)
    path = tmp_path / "f"
    path.write_bytes(b"contents")
    protocol = protocol_of(live, agent, tmp_path)
    try:
        for name, status in (("refuse me", 422), ("refuse big", 413)):
            with pytest.raises(UploadRefused) as refused:
                await protocol.upload(Lease(run_id, "x", 1), "test", name, path)
            assert (refused.value.status, refused.value.message) == (
                status,
                f"{name} is not kept here",
            )
        with pytest.raises(LeaseLost):
            await protocol.upload(Lease(run_id, "x", 2), "test", "f", path)
    finally:
        await protocol.close()
    assert staging_of(live) == []


async def test_a_connection_cut_mid_upload_leaves_nothing(
    live: Live, kept: list[tuple[str, str, Staged]]
) -> None:
    agent, run_id = await claimed(live)
    url = urlsplit(live.url)
    _, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(
        (
            f"PUT /v1/runner/jobs/{run_id}/uploads/test?attempt=1&name=cut HTTP/1.1\r\n"
            f"Host: {url.netloc}\r\nAuthorization: Bearer {agent.credential}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {LIMIT}\r\n\r\n"
        ).encode()
        + b"z" * (LIMIT // 2)
    )
    await writer.drain()
    deadline = time.monotonic() + 30
    while not staging_of(live):  # the server is writing it
        assert time.monotonic() < deadline, "the upload never started"
        await asyncio.sleep(0.02)
    writer.transport.abort()  # cut off, half sent
    while staging_of(live):
        assert time.monotonic() < deadline, f"left behind: {staging_of(live)}"
        await asyncio.sleep(0.02)
    assert kept == []
    assert (await put(agent, run_id, b"after")).status_code == 200  # the server goes on


async def test_many_uploads_at_once_store_each_content_once(
    live: Live, kept: list[tuple[str, str, Staged]]
) -> None:
    agent, run_id = await claimed(live)
    contents = [os.urandom(300_000 + n) for n in range(3)]
    answers = await asyncio.gather(
        *(put(agent, run_id, contents[n % 3], name=f"f{n}") for n in range(12))
    )
    assert [a.status_code for a in answers] == [200] * 12
    for n, answer in enumerate(answers):
        assert answer.json()["sha256"] == hashlib.sha256(contents[n % 3]).hexdigest()
    async with live.server.database.read() as conn:
        count = await conn.fetch_value(Query(sa.select(sa.func.count()).select_from(blobs)))
    assert count == 3
    for data in contents:
        assert await read(live, hashlib.sha256(data).hexdigest()) == data
    assert staging_of(live) == []
