"""The blob stores (files, PostgreSQL) on a started server: adopt once by content, read
by range, free what nothing refers to; and the embedded runner's uploads through them."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ishcd import blobstore, blobstore_db
from ishcd.blobstore import BlobMissing, BlobStore
from ishcd.blobstore_file import FileBlobStore
from ishcd.db.query import Query
from ishcd.db.runs import RunRecord
from ishcd.db.tables import blob_chunks, blobs, caches
from ishcd.engine.local import LocalProtocol
from ishcd.runner.protocol import Lease, LeaseLost, Outcome, UploadRefused
from ishcd.server import Server
from ishcd.services import staging, uploads
from ishcd.services.staging import Staged
from tests.api.conftest import Api, make_settings, serving

CHUNK = 1024  # the database store's chunk size in these tests: files of a few chunks


@pytest.fixture(params=["file", "database"])
def store_kind(request: pytest.FixtureRequest, database_url: str) -> str:
    if request.param == "database" and not database_url.startswith("postgres"):
        pytest.skip("the database blob store is PostgreSQL's")
    return str(request.param)


@pytest.fixture
async def api(tmp_path: Path, database_url: str, store_kind: str) -> AsyncIterator[Api]:
    settings = make_settings(tmp_path, database_url, runner_slots=0, blob_store=store_kind)
    async with serving(settings) as api:
        yield api


@pytest.fixture
async def plain(tmp_path: Path, database_url: str) -> AsyncIterator[Api]:
    """The store ``auto`` picks."""
    async with serving(make_settings(tmp_path, database_url, runner_slots=0)) as api:
        yield api


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blobstore_db, "CHUNK", CHUNK)


def stage(server: Server, data: bytes) -> Staged:
    directory = server.settings.staging_dir
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"t-{hashlib.md5(data).hexdigest()}-{time.monotonic_ns()}"
    path.write_bytes(data)
    return Staged(path, len(data), hashlib.sha256(data).hexdigest())


async def read(store: BlobStore, sha: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([piece async for piece in store.read(sha, start, end)])


async def rows(server: Server, table: sa.Table) -> int:
    async with server.database.read() as conn:
        return int(await conn.fetch_value(Query(sa.select(sa.func.count()).select_from(table))))


DATA = os.urandom(3 * CHUNK + 100)


async def test_the_store_is_the_one_the_settings_ask_for(api: Api, store_kind: str) -> None:
    expected = FileBlobStore if store_kind == "file" else blobstore_db.DatabaseBlobStore
    assert type(api.server.blobs) is expected


async def test_a_blob_is_read_whole_and_by_range_across_chunks(api: Api) -> None:
    store = api.server.blobs
    staged = stage(api.server, DATA)
    blob = await store.adopt(staged.path, staged.sha256, staged.size)
    assert (blob.sha256, blob.size) == (staged.sha256, len(DATA))
    assert not staged.path.exists()
    assert await store.size(blob.sha256) == len(DATA)
    assert await read(store, blob.sha256) == DATA
    for start, end in [(0, 1), (CHUNK - 1, CHUNK + 1), (5, 3 * CHUNK + 7), (3 * CHUNK, None)]:
        assert await read(store, blob.sha256, start, end) == DATA[start:end], (start, end)
    assert await read(store, blob.sha256, len(DATA) - 10, len(DATA) + 50) == DATA[-10:]
    assert await read(store, blob.sha256, len(DATA), None) == b""
    copy = api.server.settings.data_dir / "copy"
    await store.copy_to(blob.sha256, copy)
    assert copy.read_bytes() == DATA


async def test_the_same_content_is_stored_once(api: Api, store_kind: str) -> None:
    store = api.server.blobs
    first, second = stage(api.server, DATA), stage(api.server, DATA)
    await store.adopt(first.path, first.sha256, first.size)
    await store.adopt(second.path, second.sha256, second.size)
    assert not second.path.exists()
    assert await rows(api.server, blobs) == 1
    if store_kind == "database":
        assert await rows(api.server, blob_chunks) == 4
    assert await read(store, first.sha256) == DATA


async def test_many_uploads_at_once_of_the_same_and_other_contents(api: Api) -> None:
    store = api.server.blobs
    contents = [os.urandom(2 * CHUNK + n) for n in range(4)]
    staged = [stage(api.server, contents[n % 4]) for n in range(16)]
    await asyncio.gather(*(store.adopt(s.path, s.sha256, s.size) for s in staged))
    assert await rows(api.server, blobs) == 4
    for data in contents:
        assert await read(store, hashlib.sha256(data).hexdigest()) == data
    assert os.listdir(api.server.settings.staging_dir) == []


async def test_an_empty_file_is_a_blob(api: Api) -> None:
    staged = stage(api.server, b"")
    await api.server.blobs.adopt(staged.path, staged.sha256, 0)
    assert await api.server.blobs.size(staged.sha256) == 0
    assert await read(api.server.blobs, staged.sha256) == b""


async def test_a_blob_never_stored_is_missing(api: Api) -> None:
    missing = hashlib.sha256(b"nothing").hexdigest()
    assert await api.server.blobs.size(missing) is None
    with pytest.raises(BlobMissing):
        await read(api.server.blobs, missing)
    with pytest.raises(BlobMissing):
        await api.server.blobs.copy_to(missing, api.server.settings.data_dir / "x")


_CACHE = Query(
    sa.insert(caches).values(
        project_id=sa.bindparam("project_id"),
        key="k",
        sha256=sa.bindparam("sha256"),
        size=1,
        created=0.0,
        last_used=0.0,
    )
)


async def test_the_sweep_frees_old_blobs_nothing_refers_to(api: Api, store_kind: str) -> None:
    store = api.server.blobs
    project = await api.project("P")
    kept, freed = stage(api.server, b"a cache" * 400), stage(api.server, DATA)
    for s in (kept, freed):
        await store.adopt(s.path, s.sha256, s.size)
    async with api.server.database.transaction() as conn:
        await conn.execute(_CACHE, project_id=project["id"], sha256=kept.sha256)
    # Adopted after the cut-off (an upload whose artifact is not written yet): kept.
    assert await blobstore.free_unreferenced(api.server.database, store, time.time() - 60) == 0
    assert await blobstore.free_unreferenced(api.server.database, store, time.time() + 1) == 1
    assert await store.size(freed.sha256) is None
    with pytest.raises(BlobMissing):
        await read(store, freed.sha256)
    assert await read(store, kept.sha256) == b"a cache" * 400
    if store_kind == "database":
        assert await rows(api.server, blob_chunks) == 3  # the kept blob's
    else:
        assert isinstance(store, FileBlobStore)
        assert not store.path(freed.sha256).exists()
    # Stored again after it was freed: whole again.
    again = stage(api.server, DATA)
    await store.adopt(again.path, again.sha256, again.size)
    assert await read(store, again.sha256) == DATA


async def test_a_blob_adopted_again_while_it_is_freed_is_kept(api: Api) -> None:
    store = api.server.blobs
    first = stage(api.server, DATA)
    await store.adopt(first.path, first.sha256, first.size)
    async with api.server.database.transaction() as conn:
        await conn.execute(Query(sa.delete(blobs)))  # the sweep's first step took its row...
    again = stage(api.server, DATA)
    await store.adopt(again.path, again.sha256, again.size)  # ...then it came again
    await store.free([first.sha256])  # the sweep's second step leaves it
    assert await read(store, first.sha256) == DATA


# The embedded runner's uploads (LocalProtocol.upload), through a handler of a test kind.


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> list[tuple[RunRecord, str, Staged]]:
    got: list[tuple[RunRecord, str, Staged]] = []

    async def keep(
        keeping: uploads.Keeping, run: RunRecord, name: str, staged: Staged
    ) -> dict[str, Any]:
        got.append((run, name, staged))
        if name == "refuse me":
            raise UploadRefused("not this one", 422)
        if name == "leave it":
            return {"left": True}
        blob = await keeping.blobs.adopt(staged.path, staged.sha256, staged.size)
        return {"stored": True, "sha256": blob.sha256, "size": blob.size}

    monkeypatch.setitem(uploads.HANDLERS, "test", keep)
    monkeypatch.setitem(uploads.LIMITS, "test", lambda settings: 5 * CHUNK)
    return got


async def claimed(api: Api) -> tuple[LocalProtocol, Lease]:
    server = api.server
    await api.project("P")
    await api.job("p", "true", name="j")
    run = await api.start("p", "j")
    protocol = LocalProtocol(
        server.database,
        server.logs,
        server.runtime,
        blobs=server.blobs,
        settings=server.settings,
    )
    assignment = await protocol.claim("test-runner", 5)
    assert assignment is not None
    assert assignment.run_id == run["id"]
    return protocol, Lease(run["id"], "test-runner", assignment.attempt)


async def test_the_embedded_runner_uploads_a_copy_of_a_file(
    plain: Api, handler: list[tuple[RunRecord, str, Staged]], tmp_path: Path
) -> None:
    api = plain
    protocol, lease = await claimed(api)
    path = tmp_path / "dist.whl"
    path.write_bytes(DATA)
    answer = await protocol.upload(lease, "test", "dist/dist.whl", path)
    sha = hashlib.sha256(DATA).hexdigest()
    assert answer == {"stored": True, "sha256": sha, "size": len(DATA)}
    run, name, staged = handler[0]
    assert (run.id, name, staged.sha256, staged.size) == (
        lease.run_id,
        "dist/dist.whl",
        sha,
        len(DATA),
    )
    assert path.read_bytes() == DATA  # the workspace's file is left as it is
    assert await read(api.server.blobs, sha) == DATA
    # What a handler does not keep is removed; a refusal is the handler's.
    assert await protocol.upload(lease, "test", "leave it", path) == {"left": True}
    with pytest.raises(UploadRefused) as refused:
        await protocol.upload(lease, "test", "refuse me", path)
    assert (refused.value.status, refused.value.message) == (422, "not this one")
    assert os.listdir(api.server.settings.staging_dir) == []


async def test_the_embedded_runner_is_refused_past_the_limit_and_for_bad_names(
    plain: Api, handler: list[tuple[RunRecord, str, Staged]], tmp_path: Path
) -> None:
    api = plain
    protocol, lease = await claimed(api)
    big = tmp_path / "big"
    big.write_bytes(b"x" * (5 * CHUNK + 1))
    with pytest.raises(UploadRefused) as refused:
        await protocol.upload(lease, "test", "big", big)
    assert refused.value.status == 413
    assert "limit of 5120 bytes" in refused.value.message
    small = tmp_path / "small"
    small.write_bytes(b"s")
    for kind, name in [("nope", "a"), ("test", ""), ("test", "n" * 1025)]:
        with pytest.raises(UploadRefused) as refused:
            await protocol.upload(lease, kind, name, small)
        assert refused.value.status == 422
    assert handler == []
    assert os.listdir(api.server.settings.staging_dir) == []


async def test_the_embedded_runner_cannot_upload_to_a_run_it_no_longer_holds(
    plain: Api, handler: list[tuple[RunRecord, str, Staged]], tmp_path: Path
) -> None:
    api = plain
    protocol, lease = await claimed(api)
    path = tmp_path / "f"
    path.write_bytes(b"late")
    stale = Lease(lease.run_id, lease.runner_id, lease.attempt + 1)
    with pytest.raises(LeaseLost):
        await protocol.upload(stale, "test", "f", path)
    await protocol.finish(lease, Outcome(0))
    with pytest.raises(LeaseLost):
        await protocol.upload(lease, "test", "f", path)
    assert handler == []
    assert os.listdir(api.server.settings.staging_dir) == []


async def test_what_a_crash_left_in_staging_is_removed_at_start(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, runner_slots=0)
    settings.staging_dir.mkdir(parents=True)
    (settings.staging_dir / "cut-off.part").write_bytes(b"half a file")
    async with serving(settings):
        assert os.listdir(settings.staging_dir) == []
    staging.clear(settings.staging_dir)  # and it can run on an empty one
