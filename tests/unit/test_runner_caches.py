"""The runner's cache steps (runner.caches, runner.cache_tar) on a protocol fake."""

from __future__ import annotations

import asyncio
import hashlib
import io
import tarfile
from pathlib import Path
from typing import Any, cast

from ishcd.outputs import CacheSpec, Outputs
from ishcd.runner import cache_tar, caches
from ishcd.runner.keep import KeepContext
from ishcd.runner.protocol import (
    Assignment,
    CacheHit,
    Control,
    Lease,
    Outcome,
    RunnerProtocol,
    Section,
    UploadRefused,
)


class Store(RunnerProtocol):
    """A server's caches in memory: keys matched exactly, else as a prefix (newest)."""

    def __init__(self) -> None:
        self.blobs: dict[int, bytes] = {}
        self.keys: dict[str, int] = {}  # in saving order
        self.refuse: str | None = None
        self.uploads = 0

    def put(self, key: str, data: bytes) -> None:
        cache_id = len(self.blobs) + 1
        self.blobs[cache_id] = data
        self.keys[key] = cache_id

    async def find_cache(self, lease: Lease, keys: list[str]) -> CacheHit | None:
        for key in keys:
            found = [k for k in self.keys if k == key] or [
                k for k in self.keys if k.startswith(key)
            ]
            if found:
                data = self.blobs[self.keys[found[-1]]]
                sha = hashlib.sha256(data).hexdigest()
                return CacheHit(self.keys[found[-1]], found[-1], sha, len(data))
        return None

    async def fetch_cache(self, lease: Lease, hit: CacheHit, into: Path) -> bool:
        if hit.id not in self.blobs:
            return False
        into.write_bytes(self.blobs[hit.id])
        return True

    async def upload(self, lease: Lease, kind: str, name: str, path: Path) -> dict[str, Any]:
        assert kind == "cache"
        self.uploads += 1
        if self.refuse is not None:
            raise UploadRefused(self.refuse, 413)
        if name in self.keys:
            return {"saved": False}
        self.put(name, path.read_bytes())
        return {"saved": True}

    async def claim(self, runner_id: str, wait_seconds: float) -> Assignment | None:
        raise NotImplementedError

    async def heartbeat(self, lease: Lease) -> Control:
        return Control.CONTINUE

    async def wait_canceled(self, lease: Lease, timeout: float) -> bool:
        return False

    async def append_log(self, lease: Lease, offset: int, data: bytes) -> None:
        raise NotImplementedError

    async def report_sections(self, lease: Lease, sections: list[Section]) -> None:
        raise NotImplementedError

    async def finish(self, lease: Lease, outcome: Outcome) -> None:
        raise NotImplementedError


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.lost = asyncio.Event()

    async def note(self, message: str) -> None:
        self.lines.append(message)


def context(tmp_path: Path, store: Store, name: str, env: dict[str, str] | None = None) -> Any:
    run = tmp_path / name
    (run / "workspace").mkdir(parents=True)
    log = Log()
    ctx = KeepContext(
        store,
        Lease(name, "runner", 1),
        cast(Any, log),
        run / "workspace",
        run,
        env or {"ISHCD_BRANCH": "main"},
        Outputs(),
    )
    return ctx, log


SPEC = CacheSpec(("deps-{{ branch }}-", "deps-"), "deps-{{ branch }}-1", ("deps", "*.lock"))


async def test_a_saved_cache_is_restored_into_the_next_workspace(tmp_path: Path) -> None:
    store = Store()
    first, log = context(tmp_path, store, "one")
    (first.workspace / "deps" / "sub").mkdir(parents=True)
    (first.workspace / "deps" / "sub" / "lib.py").write_text("x = 1\n")
    (first.workspace / "deps" / "tool").write_text("#!/bin/sh\n")
    (first.workspace / "deps" / "tool").chmod(0o755)
    (first.workspace / "app.lock").write_text("lock")
    (first.workspace / "other").write_text("not saved")
    await caches.restore(first, SPEC)
    assert log.lines == ["no cache found for keys: deps-main-, deps-"]
    await caches.save(first, SPEC)
    assert len(log.lines) == 2
    assert log.lines[1].startswith("saved cache deps-main-1 (3 files, ")
    assert not (first.scratch / caches.SAVED).exists()

    second, log = context(tmp_path, store, "two")
    await caches.restore(second, SPEC)
    assert log.lines[0].startswith("restored cache deps-main-1 (")
    assert log.lines[0].endswith(" bytes)")
    assert (second.workspace / "deps" / "sub" / "lib.py").read_text() == "x = 1\n"
    assert (second.workspace / "deps" / "tool").stat().st_mode & 0o777 == 0o755
    assert (second.workspace / "app.lock").read_text() == "lock"
    assert not (second.workspace / "other").exists()
    assert not (second.scratch / caches.RESTORED).exists()
    await caches.save(second, SPEC)
    assert log.lines[-1] == "cache deps-main-1 exists: not saved"
    assert store.uploads == 1


async def test_save_says_why_it_did_not(tmp_path: Path) -> None:
    store = Store()
    ctx, log = context(tmp_path, store, "one")
    await caches.save(ctx, CacheSpec((), 'v-{{ checksum "none" }}', ("x",)))
    await caches.save(ctx, CacheSpec((), "v1", ("nothing/**",)))
    store.refuse = "too big"
    (ctx.workspace / "x").write_text("x")
    await caches.save(ctx, CacheSpec((), "v2", ("x",)))
    assert log.lines == [
        "cache key 'v-{{ checksum \"none\" }}' skipped: checksum 'none': none does not exist "
        "in the workspace",
        "cache not saved: its key could not be resolved",
        "cache v1: pattern 'nothing/**' matched no files",
        "cache v1 not saved: its paths matched no files",
        log.lines[4],
    ]
    assert log.lines[4].startswith("cache v2 not saved (")
    assert log.lines[4].endswith(" bytes): too big")
    assert list(store.keys) == []


async def test_a_damaged_or_vanished_cache_is_not_restored(tmp_path: Path) -> None:
    store = Store()
    store.put("v1", b"not a tar at all")
    ctx, log = context(tmp_path, store, "one")
    await caches.restore(ctx, CacheSpec(("v",)))
    assert log.lines[0].startswith("cache v1 could not be unpacked (")

    class Vanishing(Store):
        async def fetch_cache(self, lease: Lease, hit: CacheHit, into: Path) -> bool:
            return False

    gone = Vanishing()
    gone.put("v1", b"")
    ctx, log = context(tmp_path, gone, "two")
    await caches.restore(ctx, CacheSpec(("v1",)))
    assert log.lines == ["cache v1 was removed before it could be restored"]


def tar_of(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return out.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = 0o644
    return info


async def test_members_that_would_leave_the_workspace_are_refused(tmp_path: Path) -> None:
    store = Store()
    outside = tmp_path / "outside"
    outside.mkdir()
    store.put(
        "evil",
        tar_of(
            (member("ok.txt"), b"fine"),
            (member("../escaped.txt"), b"bad"),
            (member(str(outside / "absolute.txt")), b"bad"),
            (member("up", tarfile.SYMTYPE, "../outside"), b""),
            (member("abs", tarfile.SYMTYPE, str(outside)), b""),
            (member("hard", tarfile.LNKTYPE, "../outside/x"), b""),
            (member("dev", tarfile.CHRTYPE), b""),
            (member("inner", tarfile.SYMTYPE, "ok.txt"), b""),
        ),
    )
    ctx, log = context(tmp_path, store, "run")
    (ctx.workspace / "linked").symlink_to(outside)  # already there: followed when checked
    store.put("evil2", tar_of((member("linked/through.txt"), b"bad")))
    await caches.restore(ctx, CacheSpec(("evil",)))
    await caches.restore(ctx, CacheSpec(("evil2",)))
    assert sorted(p.name for p in outside.iterdir()) == []
    assert not (tmp_path / "run" / "escaped.txt").exists()
    assert (ctx.workspace / "ok.txt").read_text() == "fine"
    assert (ctx.workspace / "inner").resolve() == (ctx.workspace / "ok.txt").resolve()
    refused = [line for line in log.lines if " is refused: " in line]
    names = ["'../escaped.txt'", "'up'", "'abs'", "'hard'", "'dev'", "'linked/through.txt'"]
    for name in names:
        assert any(f"{name} is refused" in line for line in refused), (name, log.lines)
    assert any(line.startswith("cache evil: '/") and "absolute.txt" in line for line in refused)
    assert log.lines[-1].startswith("restored cache evil2 (")


def test_pack_takes_regular_files_only_and_follows_inside_links(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "link").symlink_to("a.txt")
    archive = tmp_path.parent / f"{tmp_path.name}.tgz"
    packed = cache_tar.pack(tmp_path, ["a.txt", "link", "gone"], archive)
    assert (packed.files, packed.bytes) == (2, 2)
    assert packed.problems == ["'gone' was not saved: No such file or directory"]
    with tarfile.open(archive) as tar:
        assert [(m.name, m.isfile()) for m in tar.getmembers()] == [
            ("a.txt", True),
            ("link", True),
        ]
