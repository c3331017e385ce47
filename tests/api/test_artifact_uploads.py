"""The "artifact" upload over HTTP, as an agent sends it: a path that would leave the
workspace is refused (422) and nothing is stored; past a limit is a 413 that says
which; the same path sent again (a later attempt) replaces the file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.runner_http import Agent, Live, live_server


@pytest.fixture
async def live(tmp_path: Path, database_url: str) -> AsyncIterator[Live]:
    async with live_server(
        tmp_path, database_url, artifact_max_file=100, artifact_max_run=150
    ) as live:
        yield live


async def put(agent: Agent, run_id: str, name: str, body: bytes) -> httpx.Response:
    return await agent.http.put(
        f"/v1/runner/jobs/{run_id}/uploads/artifact",
        params={"attempt": 1, "name": name},
        content=body,
        headers={"Content-Type": "application/octet-stream"},
    )


async def listed(live: Live, run_id: str) -> list[dict[str, Any]]:
    response = await live.api.get(f"/v1/runs/{run_id}/artifacts")
    assert response.status_code == 200
    return list(response.json())


async def test_an_agents_artifact_uploads_are_checked(live: Live) -> None:
    agent = await live.agent()
    await live.queue(artifacts=["**"])
    run_id = (await agent.claim())["run_id"]
    for name in ("../outside.txt", "/etc/passwd", "a/../../b", "a//b", "./a", "a\tb"):
        refused = await put(agent, run_id, name, b"x")
        assert refused.status_code == 422, name
        assert "artifact path" in refused.json()["message"], name
    assert await listed(live, run_id) == []

    kept = await put(agent, run_id, "dist/app.bin", b"a" * 100)
    assert kept.status_code == 200, kept.text
    assert kept.json()["stored"] is True
    assert (kept.json()["size"], kept.json()["max_file"], kept.json()["max_run"]) == (100, 100, 150)
    too_big = await put(agent, run_id, "big.bin", b"b" * 101)
    assert too_big.status_code == 413
    past_run = await put(agent, run_id, "more.bin", b"c" * 60)
    assert past_run.status_code == 413
    assert "150 bytes per run (ISHCD_ARTIFACT_MAX_RUN)" in past_run.json()["message"]
    # The same path again replaces the file, and counts once toward the run's limit.
    again = await put(agent, run_id, "dist/app.bin", b"d" * 90)
    assert again.status_code == 200, again.text
    fits = await put(agent, run_id, "more.bin", b"c" * 60)
    assert fits.status_code == 200, fits.text
    files = await listed(live, run_id)
    assert [(f["path"], f["size"]) for f in files] == [("dist/app.bin", 90), ("more.bin", 60)]
    got = await live.api.get(f"/v1/runs/{run_id}/artifacts/dist/app.bin")
    assert got.content == b"d" * 90
