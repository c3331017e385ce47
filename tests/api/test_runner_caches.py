"""An agent's side of caches over HTTP (runner.http against a live server): finding one by
key or prefix, fetching its archive, and the lease: a stale attempt is refused (409)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ishcd.runner.http import HttpProtocol
from ishcd.runner.protocol import CacheHit, Lease, LeaseLost
from ishcd.services import caches
from ishcd.services.staging import Staged
from tests.api.runner_http import Live, live_server


async def saved(live: Live, tmp_path: Path, project: str, key: str, body: bytes) -> None:
    found = await live.api.get(f"/v1/projects/{project}")
    path = tmp_path / f"{project}-{key}.tgz"
    path.write_bytes(body)
    staged = Staged(path, size=len(body), sha256=hashlib.sha256(body).hexdigest())
    server = live.server
    answer = await caches.save(
        server.database, server.blobs, 10**9, found.json()["id"], None, key, staged
    )
    assert answer["saved"] is True


async def test_an_agent_finds_and_fetches_caches_of_its_runs_project_only(
    tmp_path: Path, database_url: str
) -> None:
    async with live_server(tmp_path, database_url) as live:
        run = await live.queue("true")
        await live.api.project("Q")
        await saved(live, tmp_path, "p", "deps-1", b"first")
        await saved(live, tmp_path, "p", "deps-2", b"second")
        await saved(live, tmp_path, "q", "other", b"theirs")
        agent = await live.agent()
        got = await agent.claim()
        assert got["run_id"] == run["id"]
        protocol = HttpProtocol(live.url, agent.credential, tmp_path / "spool")
        lease = Lease(got["run_id"], "unused", got["attempt"])
        try:
            hit = await protocol.find_cache(lease, ["nope", "deps-"])
            assert hit is not None
            assert (hit.key, hit.size) == ("deps-2", 6)  # the newest deps-
            assert await protocol.find_cache(lease, ["deps-1", "deps-"]) == CacheHit(
                hit.id - 1, "deps-1", hashlib.sha256(b"first").hexdigest(), 5
            )
            assert await protocol.find_cache(lease, ["other"]) is None
            before = (await live.api.get("/v1/projects/p/caches")).json()[0]["last_used"]
            archive = tmp_path / "got.tgz"
            assert await protocol.fetch_cache(lease, hit, archive) is True
            assert archive.read_bytes() == b"second"
            after = (await live.api.get("/v1/projects/p/caches")).json()[0]
            assert after["key"] == "deps-2"
            assert after["last_used"] >= before

            theirs = (await live.api.get("/v1/projects/q/caches")).json()[0]
            elsewhere = CacheHit(theirs["id"], "other", theirs["sha256"], theirs["size"])
            assert await protocol.fetch_cache(lease, elsewhere, tmp_path / "no.tgz") is False
            deleted = await live.api.delete(f"/v1/projects/p/caches/{hit.id}")
            assert deleted.status_code == 204, deleted.text
            assert await protocol.fetch_cache(lease, hit, tmp_path / "gone.tgz") is False

            stale = Lease(got["run_id"], "unused", got["attempt"] + 1)
            with pytest.raises(LeaseLost):
                await protocol.find_cache(stale, ["deps-"])
            with pytest.raises(LeaseLost):
                await protocol.fetch_cache(stale, hit, tmp_path / "stale.tgz")
            path = f"/v1/runner/jobs/{got['run_id']}/caches/find"
            empty = await agent.http.post(path, json={"attempt": got["attempt"], "keys": []})
            assert empty.status_code == 422, empty.text
            assert empty.json()["errors"][0]["field"] == "keys"
        finally:
            await protocol.close()
