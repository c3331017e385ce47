"""A project's caches: archives runs save under a key and later runs restore.

As CircleCI's caches: a key is saved once and never overwritten (a second save
of it, even racing the first, keeps the first); a restore tries its keys in
order, each exactly and then as a prefix (the newest match wins). A project's
caches are kept under ``ISHCD_CACHE_MAX_PROJECT`` bytes: a save that would pass
it removes the least recently used (restored or saved) first. An archive is a
blob of the blob store; a removed cache's blob is freed by the blob sweep once
nothing else refers to it. Project members list caches; admins delete them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ishcd import exceptions
from ishcd.blobstore import BlobStore
from ishcd.db import caches as caches_db
from ishcd.db import runs as runs_db
from ishcd.db.caches import CacheRecord
from ishcd.db.database import Connection, Database
from ishcd.db.runs import RunRecord
from ishcd.runner.cache_keys import MAX_KEY, key_problem
from ishcd.runner.protocol import UploadRefused
from ishcd.services import access, audit
from ishcd.services.principal import Caller
from ishcd.services.staging import Staged
from ishcd.settings import Settings
from ishcd.sizes import human_size

if TYPE_CHECKING:
    from ishcd.services.uploads import Keeping

MAX_RESTORE_KEYS = 50  # keys one restore may try
_EVICT_BATCH = 100


def check_key(key: str, field: str = "key") -> None:
    if problem := key_problem(key):
        raise exceptions.ValidationFailed.one(field, problem)


def check_restore_keys(keys: list[str], field: str = "keys") -> None:
    if not keys:
        raise exceptions.ValidationFailed.one(field, "must name at least one key")
    if len(keys) > MAX_RESTORE_KEYS:
        raise exceptions.ValidationFailed.one(field, f"must be at most {MAX_RESTORE_KEYS} keys")
    for i, key in enumerate(keys):
        check_key(key, f"{field}.{i}")


# Saving (a run's upload of kind "cache").


async def receive(keeping: Keeping, run: RunRecord, name: str, staged: Staged) -> dict[str, Any]:
    """The upload handler of kind "cache": ``name`` is the resolved key."""
    limit = keeping.settings.cache_max_project
    return await save(keeping.db, keeping.blobs, limit, run.project_id, run.id, name, staged)


def max_archive(settings: Settings) -> int:
    """The largest cache a runner may send (``ISHCD_CACHE_MAX_PROJECT``)."""
    return settings.cache_max_project


async def save(
    db: Database,
    blobs: BlobStore,
    limit: int,
    project_id: str,
    run_id: str | None,
    key: str,
    archive: Staged,
) -> dict[str, Any]:
    """Keep the staged ``archive`` as the project's cache ``key`` unless the project has
    that key; the answer for the runner: ``saved``, and a ``message`` for the log when
    others were evicted. ``UploadRefused`` for a bad key or an archive over the project's limit."""
    if problem := key_problem(key):
        raise UploadRefused(f"the cache key {problem}", 422)
    if archive.size > limit:
        raise UploadRefused(
            f"the cache is {human_size(archive.size)}, more than a project's caches may hold "
            f"({human_size(limit)}, ISHCD_CACHE_MAX_PROJECT)",
            413,
        )
    async with db.read() as conn:
        if await caches_db.get_by_key(conn, project_id, key) is not None:
            return {"saved": False}
    await blobs.adopt(archive.path, archive.sha256, archive.size)
    async with db.transaction() as conn:
        await caches_db.lock_project(conn, project_id)
        cache_id = await caches_db.insert_if_absent(
            conn, project_id, key, archive.sha256, archive.size, time.time(), run_id
        )
        if cache_id is None:  # saved meanwhile by another run: theirs is kept
            return {"saved": False}
        count, freed = await _evict(conn, project_id, cache_id, limit)
    answer: dict[str, Any] = {
        "saved": True,
        "id": cache_id,
        "sha256": archive.sha256,
        "size": archive.size,
    }
    if count:
        caches = "cache" if count == 1 else "caches"
        answer["message"] = (
            f"removed {count} least recently used {caches} ({human_size(freed)}) to keep the "
            f"project's caches under {human_size(limit)}"
        )
    return answer


async def _evict(conn: Connection, project_id: str, keep: int, limit: int) -> tuple[int, int]:
    """Remove the least recently used caches (but ``keep``) until the project's caches
    fit in ``limit``; how many, and their bytes."""
    total = await caches_db.total_size(conn, project_id)
    count = freed = 0
    while total > limit:
        oldest = await caches_db.least_used(conn, project_id, keep, _EVICT_BATCH)
        if not oldest:
            break
        for cache_id, size in oldest:
            if total <= limit:
                break
            if await caches_db.delete(conn, project_id, cache_id):
                total -= size
                count += 1
                freed += size
    return count, freed


# Restoring (the runner protocol).


async def find(conn: Connection, project_id: str, keys: list[str]) -> CacheRecord | None:
    """For each key in order: the cache saved under it, else the newest whose key it
    starts; None when no key matches."""
    for key in keys:
        hit = await caches_db.get_by_key(conn, project_id, key)
        if hit is None:
            hit = await caches_db.newest_with_prefix(conn, project_id, key)
        if hit is not None:
            return hit
    return None


async def use(conn: Connection, project_id: str, cache_id: int) -> CacheRecord | None:
    """The cache, its use recorded (eviction goes by it); None when it is gone."""
    if not await caches_db.touch(conn, project_id, cache_id, time.time()):
        return None
    return await caches_db.get_by_id(conn, project_id, cache_id)


async def find_for_run(db: Database, run_id: str, keys: list[str]) -> CacheRecord | None:
    """``find`` in the run's project (the embedded runner's lookup); None without the run."""
    async with db.read() as conn:
        run = await runs_db.get_run(conn, run_id)
        return None if run is None else await find(conn, run.project_id, keys)


async def use_for_run(db: Database, run_id: str, cache_id: int) -> CacheRecord | None:
    """``use`` in the run's project (the embedded runner's restore)."""
    async with db.transaction() as conn:
        run = await runs_db.get_run(conn, run_id)
        return None if run is None else await use(conn, run.project_id, cache_id)


# The API.


async def list_caches(
    conn: Connection, caller: Caller, project_ish: str, prefix: str | None, limit: int, offset: int
) -> list[CacheRecord]:
    """The project's caches, newest first; with ``prefix``, those whose key starts so."""
    project = await access.project_for(conn, caller, project_ish)
    if prefix is not None and len(prefix) > MAX_KEY:
        raise exceptions.ValidationFailed.one("key", f"must be at most {MAX_KEY} characters")
    return await caches_db.list_caches(conn, project.id, prefix or None, limit, offset)


async def get_cache(
    conn: Connection, caller: Caller, project_ish: str, cache_id: int
) -> CacheRecord:
    project = await access.project_for(conn, caller, project_ish)
    found = await caches_db.get_by_id(conn, project.id, cache_id)
    if found is None:
        raise exceptions.NotFound(f"cache {cache_id} not found")
    return found


async def delete_cache(
    conn: Connection,
    caller: Caller,
    project_ish: str,
    *,
    cache_id: int | None = None,
    key: str | None = None,
) -> CacheRecord:
    """Delete a cache, by id or by its exact key (project admins); what was deleted."""
    project = await access.project_for(conn, caller, project_ish, "admin")
    if cache_id is not None:
        found = await caches_db.get_by_id(conn, project.id, cache_id)
        what = f"cache {cache_id}"
    else:
        assert key is not None
        check_key(key)
        found = await caches_db.get_by_key(conn, project.id, key)
        what = f"cache {key!r}"
    if found is None or not await caches_db.delete(conn, project.id, found.id):
        raise exceptions.NotFound(f"{what} not found")
    target = ("cache", str(found.id), found.key)
    await audit.record(conn, caller, "cache.delete", project=project, target=target)
    return found
