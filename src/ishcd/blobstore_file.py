"""The file blob store: each blob a file under the data directory.

``<root>/ab/<sha256>``, written once: a staged file (complete, flushed to
disk) is renamed into place, so a reader never sees part of a blob. The
``blobs`` row is written after the file, so a row always has its file.

Adopting and freeing take turns (one lock: a data directory has one server):
a blob adopted again while the sweep frees it either keeps its row, and the
sweep leaves its file, or is adopted after the file is gone and stored anew.
Reads go in ``CHUNK`` pieces on a thread, with the file open for the whole
read: a blob freed meanwhile is still read to its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

from ishcd.blobstore import CHUNK, Blob, BlobMissing, BlobStore
from ishcd.db import blobs as blobs_db
from ishcd.db.database import Database
from ishcd.services import staging


class FileBlobStore(BlobStore):
    def __init__(self, root: Path, db: Database):
        self.root = root
        self.db = db
        self._turns = asyncio.Lock()

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    async def adopt(self, staged: Path, sha256: str, size: int) -> Blob:
        target = self.path(sha256)
        async with self._turns:
            await asyncio.to_thread(_place, staged, target)
            async with self.db.transaction() as conn:
                await blobs_db.record(conn, sha256, size, time.time())
        return Blob(sha256, size)

    async def size(self, sha256: str) -> int | None:
        async with self.db.read() as conn:
            return await blobs_db.size_of(conn, sha256)

    async def read(
        self, sha256: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        try:
            handle = await asyncio.to_thread(open, self.path(sha256), "rb", buffering=0)
        except FileNotFoundError:
            raise BlobMissing(sha256) from None
        with handle:
            size = os.fstat(handle.fileno()).st_size
            position, stop = start, size if end is None else min(end, size)
            if stop - position > CHUNK:  # a long read: the kernel reads further ahead
                os.posix_fadvise(handle.fileno(), position, 0, os.POSIX_FADV_SEQUENTIAL)
            while position < stop:
                piece = await asyncio.to_thread(
                    os.pread, handle.fileno(), min(CHUNK, stop - position), position
                )
                if not piece:
                    return
                position += len(piece)
                yield piece

    async def copy_to(self, sha256: str, path: Path) -> None:
        try:
            await asyncio.to_thread(shutil.copyfile, self.path(sha256), path)
        except FileNotFoundError:
            raise BlobMissing(sha256) from None

    async def free(self, sha256s: list[str]) -> None:
        async with self._turns:
            async with self.db.read() as conn:
                back = await blobs_db.still_stored(conn, sha256s)
            for sha256 in sha256s:
                if sha256 not in back:
                    self.path(sha256).unlink(missing_ok=True)


def _place(staged: Path, target: Path) -> None:
    """Rename ``staged`` to ``target`` (copied first, and synced, across file systems);
    only removed when the blob is there already."""
    if target.exists():
        staging.remove(staged)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(staged, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            with staged.open("rb") as source, partial.open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        staged.unlink()
    _sync_dir(target.parent)


def _sync_dir(directory: Path) -> None:
    """The rename itself survives a crash once its directory is synced."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
