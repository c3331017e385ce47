"""A job's cache: restored before the script, saved after a successful one.

As CircleCI's ``restore_cache``/``save_cache``: keys are templates
(``runner.cache_keys``); a restore asks the server for the first of its keys
that matches a saved one (exactly, else as a prefix, the newest), downloads
its archive and unpacks it into the workspace (``runner.cache_tar``, never
outside it); a save sends an archive of the save paths under its key unless
the project already has that key (a key is never overwritten). What happened,
with sizes, is a line in the run's log.
"""

from __future__ import annotations

import asyncio
import hashlib
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

from ishcd.outputs import CacheSpec
from ishcd.runner import cache_keys, cache_tar, globs
from ishcd.runner.protocol import UploadRefused
from ishcd.sizes import human_size

if TYPE_CHECKING:
    from ishcd.runner.keep import KeepContext

MAX_LINES = 20  # problems of one kind written to the log; past that, a count
RESTORED = "cache-restore.tar.gz"  # in the run's scratch directory
SAVED = "cache-save.tar.gz"


async def restore(ctx: KeepContext, spec: CacheSpec) -> None:
    """Restore the first saved cache one of ``spec.restore`` matches."""
    keys: list[str] = []
    for template in spec.restore:
        key = await _resolve(ctx, template)
        if key is not None and key not in keys:
            keys.append(key)
    if not keys:
        await ctx.log.note("no cache restored: none of its keys could be resolved")
        return
    hit = await ctx.protocol.find_cache(ctx.lease, keys)
    if hit is None:
        await ctx.log.note(f"no cache found for keys: {', '.join(keys)}")
        return
    archive = ctx.scratch / RESTORED
    archive.unlink(missing_ok=True)
    try:
        if not await ctx.protocol.fetch_cache(ctx.lease, hit, archive):
            await ctx.log.note(f"cache {hit.key} was removed before it could be restored")
            return
        if await asyncio.to_thread(_sha256, archive) != hit.sha256:
            await ctx.log.note(f"cache {hit.key} arrived damaged: not restored")
            return
        try:
            unpacked = await asyncio.to_thread(cache_tar.unpack, archive, ctx.workspace)
        except (tarfile.TarError, EOFError, OSError) as exc:
            await ctx.log.note(f"cache {hit.key} could not be unpacked ({exc}): not restored")
            return
    finally:
        archive.unlink(missing_ok=True)
    await _lines(ctx, [f"cache {hit.key}: {line}" for line in unpacked.refused])
    await ctx.log.note(f"restored cache {hit.key} ({human_size(hit.size)})")


async def save(ctx: KeepContext, spec: CacheSpec) -> None:
    """Save ``spec.save_paths`` under ``spec.save_key``, unless that key exists."""
    if spec.save_key is None:
        return
    key = await _resolve(ctx, spec.save_key)
    if key is None:
        await ctx.log.note("cache not saved: its key could not be resolved")
        return
    hit = await ctx.protocol.find_cache(ctx.lease, [key])
    if hit is not None and hit.key == key:
        await ctx.log.note(f"cache {key} exists: not saved")
        return
    matches = await asyncio.to_thread(globs.find_files, ctx.workspace, spec.save_paths)
    await _lines(ctx, [f"cache {key}: {line}" for line in matches.problems])
    if not matches.files:
        await ctx.log.note(f"cache {key} not saved: its paths matched no files")
        return
    archive = ctx.scratch / SAVED
    archive.unlink(missing_ok=True)
    try:
        packed = await asyncio.to_thread(cache_tar.pack, ctx.workspace, matches.files, archive)
        await _lines(ctx, [f"cache {key}: {line}" for line in packed.problems])
        size = archive.stat().st_size
        try:
            answer = await ctx.protocol.upload(ctx.lease, "cache", key, archive)
        except UploadRefused as exc:
            await ctx.log.note(f"cache {key} not saved ({human_size(size)}): {exc.message}")
            return
    finally:
        archive.unlink(missing_ok=True)
    if not answer.get("saved", True):
        await ctx.log.note(f"cache {key} exists: not saved")
        return
    files = "1 file" if packed.files == 1 else f"{packed.files} files"
    await ctx.log.note(f"saved cache {key} ({files}, {human_size(size)})")
    if answer.get("message"):
        await ctx.log.note(str(answer["message"]))


async def _resolve(ctx: KeepContext, template: str) -> str | None:
    resolved = await asyncio.to_thread(cache_keys.resolve, template, ctx.workspace, ctx.env)
    await _lines(ctx, [f"cache key {template!r}: {line}" for line in resolved.notes])
    if resolved.key is None:
        await _lines(ctx, [f"cache key {template!r} skipped: {p}" for p in resolved.problems])
    return resolved.key


async def _lines(ctx: KeepContext, lines: list[str]) -> None:
    for line in lines[:MAX_LINES]:
        await ctx.log.note(line)
    if len(lines) > MAX_LINES:
        await ctx.log.note(f"... and {len(lines) - MAX_LINES} more")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
