"""Staged uploads: a file a runner sends, written whole to local disk before it is kept.

A staged file is written under the data directory's staging directory with
a random name, hashed (SHA-256) as it is written and synced to disk before
it counts: only a complete file becomes a ``Staged``. Past its limit, or when
the sender goes away, the partial file is removed; what a crash leaves there
is removed at the next start (``clear``).

Writing is the hot path of a large upload: pieces (as the client's request
delivers them) are gathered into ``BATCH`` bytes, and each batch is hashed
and written on a thread while the next one arrives (``StagingFile``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import mmap
import os
import secrets
import shutil
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from ishcd.blobstore import CHUNK

BATCH = 4 * 1024 * 1024
ALIGN = 4096  # O_DIRECT writes whole blocks from aligned memory


@dataclass(frozen=True)
class Staged:
    """A complete local temporary file and what it holds."""

    path: Path
    size: int
    sha256: str


class TooLarge(Exception):
    """The file is larger than its limit."""

    def __init__(self, limit: int):
        super().__init__(f"the file is larger than the limit of {limit} bytes")
        self.limit = limit


def remove(path: Path) -> None:
    """Remove the file at ``path`` if it is there."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def clear(directory: Path) -> None:
    """Remove what uploads cut off by a crash left (at start, before any upload)."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)


def _new_file(directory: Path, direct: bool = False) -> tuple[Path, int, bool]:
    """A new file of a random name, open for writing; whether it writes around the page
    cache (``O_DIRECT``: not every file system can)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{secrets.token_hex(16)}.part"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    if direct and hasattr(os, "O_DIRECT"):
        try:
            return path, os.open(path, flags | os.O_DIRECT, 0o600), True
        except OSError:
            path.unlink(missing_ok=True)
    return path, os.open(path, flags, 0o600), False


def _write_all(fd: int, pieces: list[bytes] | list[memoryview]) -> None:
    views = [memoryview(piece) for piece in pieces]
    while views:
        written = os.writev(fd, views[:1024])
        while views and written >= len(views[0]):
            written -= len(views[0])
            views.pop(0)
        if written:
            views[0] = views[0][written:]


def _buffered(fd: int) -> None:
    """Write through the page cache from now on."""
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_DIRECT)


class StagingFile:
    """A staged file being written from pieces as they arrive.

    Pieces are copied into one of two page-aligned buffers of ``BATCH`` bytes;
    a full buffer is hashed and written on a thread while the other fills. The
    writes bypass the page cache (``O_DIRECT``) where the file system allows:
    syncing a large file written through the cache costs more than the writes.
    """

    def __init__(self, directory: Path, limit: int):
        self.limit = limit
        self.path, self._fd, self._direct = _new_file(directory, direct=True)
        self.size = 0
        self._hash = hashlib.sha256()
        self._buffers = [mmap.mmap(-1, BATCH), mmap.mmap(-1, BATCH)]
        self._current = 0
        self._filled = 0
        self._writing: asyncio.Future[None] | None = None

    async def write(self, piece: bytes) -> None:
        """Add ``piece``; ``TooLarge`` past the limit (then ``discard``)."""
        self.size += len(piece)
        if self.size > self.limit:
            raise TooLarge(self.limit)
        view = memoryview(piece)
        while view:
            count = min(len(view), BATCH - self._filled)
            self._buffers[self._current][self._filled : self._filled + count] = view[:count]
            self._filled += count
            view = view[count:]
            if self._filled == BATCH:
                await self._flush()

    def _write_batch(self, buffer: mmap.mmap, length: int) -> None:
        view = memoryview(buffer)[:length]
        try:
            self._hash.update(view)  # releases the GIL: the event loop runs on
            aligned = length - length % ALIGN if self._direct else 0
            if aligned:
                try:
                    _write_all(self._fd, [view[:aligned]])
                except OSError as exc:
                    if exc.errno != errno.EINVAL:
                        raise
                    self._direct = False
                    _buffered(self._fd)
                    aligned = 0
            if aligned < length:
                if self._direct:
                    self._direct = False  # the file's last bytes: not a whole block
                    _buffered(self._fd)
                _write_all(self._fd, [view[aligned:]])
        finally:
            view.release()

    async def _flush(self) -> None:
        if self._writing is not None:
            await self._writing  # one batch at a time, in order: the other buffer is free
        buffer, length = self._buffers[self._current], self._filled
        self._current, self._filled = 1 - self._current, 0
        self._writing = asyncio.ensure_future(asyncio.to_thread(self._write_batch, buffer, length))

    async def finish(self) -> Staged:
        """Write what is left and sync the file: it is complete."""
        await self._flush()
        assert self._writing is not None
        await self._writing
        self._writing = None
        await asyncio.to_thread(os.fsync, self._fd)
        os.close(self._fd)
        self._fd = -1
        for buffer in self._buffers:
            buffer.close()
        return Staged(self.path, self.size, self._hash.hexdigest())

    def discard(self) -> None:
        """Remove the partial file (once a batch being written, if any, is done)."""
        writing, self._writing = self._writing, None
        if writing is not None and not writing.done():
            writing.add_done_callback(lambda _: self._remove())
        else:
            self._remove()

    def _remove(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        for buffer in self._buffers:
            buffer.close()
        self.path.unlink(missing_ok=True)


async def stage_stream(pieces: AsyncIterable[bytes], directory: Path, limit: int) -> Staged:
    """Stage what ``pieces`` deliver; ``TooLarge`` past ``limit`` bytes. Nothing is left
    behind unless it returns, whatever cuts it off."""
    staging = StagingFile(directory, limit)
    try:
        async for piece in pieces:
            if piece:
                await staging.write(piece)
        return await staging.finish()
    except BaseException:
        staging.discard()
        raise


async def file_pieces(path: Path, size: int = CHUNK) -> AsyncIterator[bytes]:
    """The file in pieces of ``size`` bytes, each read on a thread while the last is used."""
    with path.open("rb", buffering=0) as source:
        reading = asyncio.ensure_future(asyncio.to_thread(source.read, size))
        try:
            while piece := await reading:
                reading = asyncio.ensure_future(asyncio.to_thread(source.read, size))
                yield piece
        finally:
            if not reading.done():
                await asyncio.wait([reading])


async def stage_file(source: Path, directory: Path, limit: int) -> Staged:
    """Stage a copy of the local file ``source`` (the embedded runner's: its workspace
    goes when the run ends); ``TooLarge`` past ``limit`` bytes."""
    if await asyncio.to_thread(lambda: source.stat().st_size) > limit:
        raise TooLarge(limit)
    return await stage_stream(file_pieces(source), directory, limit)
