"""The file log store: each log in files under the data directory (``logfile``).

The store of a single server (and of SQLite): appends write ``<run>.log`` and
its line index (``logindex``) as they come; past the cap, a rolling tail
beside it. File work is short (a write, a 64 KiB read) and runs in the event
loop, as it always has; what can take long (repairing a line index, line
lookups that scan) runs in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from ishcd import logindex
from ishcd.db.database import Connection
from ishcd.logfile import OpenLog, tail_dir
from ishcd.logindex import IndexWriter, LineIndex
from ishcd.logstore import CHUNK, Lines, LogStore, stored_sections


class FileLines:
    """``Lines`` over a file's line index; lookups scan the log in a thread."""

    def __init__(self, index: LineIndex):
        self.index = index
        self.size = index.size

    async def offset_of(self, line: int) -> int | None:
        return await asyncio.to_thread(self.index.offset_of, line)

    async def line_of(self, offset: int) -> int:
        return await asyncio.to_thread(self.index.line_of, offset)

    async def count(self) -> int:
        return await asyncio.to_thread(self.index.count)


class FileLogStore(LogStore):
    """Run logs in files under ``root``, each capped at ``max_bytes`` (0: no cap)."""

    def __init__(self, root: Path, max_bytes: int = 0):
        self.root = root
        self.max_bytes = max_bytes
        self._open: dict[str, OpenLog] = {}
        self._indexed: set[str] = set()  # closed logs whose line index is known whole
        self._index_lock = threading.Lock()  # readers repair indexes in threads

    def path(self, run_id: str) -> Path:
        return self.root / run_id[:2] / f"{run_id}.log"

    def _sections_path(self, run_id: str) -> Path:
        return self.root / run_id[:2] / f"{run_id}.sections.json"

    def stored_size(self, run_id: str) -> int:
        found = self._open.get(run_id)
        if found is not None:
            return found.readable
        try:
            return self.path(run_id).stat().st_size
        except FileNotFoundError:
            return 0

    async def size(self, run_id: str) -> int:
        return self.stored_size(run_id)

    async def received(self, run_id: str) -> int:
        return self._handle(run_id).received

    async def append(self, run_id: str, offset: int, data: bytes) -> int:
        """Past the cap, bytes go to the rolling tail; if the disk is full they are
        counted and lost (``logfile``)."""
        return self._handle(run_id).append(offset, data)

    async def note(self, run_id: str, message: str) -> None:
        handle = self._handle(run_id)
        handle.append(handle.received, f"\n[ishcd] {message}\n".encode())

    def _handle(self, run_id: str) -> OpenLog:
        found = self._open.get(run_id)
        if found is None:
            self._indexed.discard(run_id)
            with self._index_lock:
                found = self._open[run_id] = OpenLog.open(self.path(run_id), self.max_bytes)
        return found

    async def close(self, run_id: str) -> int:
        return self.close_now(run_id)

    def close_now(self, run_id: str) -> int:
        found = self._open.pop(run_id, None)
        if found is None:
            if not tail_dir(self.path(run_id)).exists():
                return self.stored_size(run_id)
            with self._index_lock:
                found = OpenLog.open(self.path(run_id), self.max_bytes)  # cut off by a crash
        size = found.finish()
        if found.cut is not None:
            saved = self._read_sections(run_id)
            if saved is not None:
                self._write_sections(run_id, {**saved, "cut": list(found.cut)})
        return size

    # Line index (``logindex``), kept beside the log.

    def _repair_index(self, run_id: str) -> None:
        """A closed log whose index is missing or behind (a log from before indexes,
        a crash) has it repaired first: that reads the log once."""
        path = self.path(run_id)
        if run_id not in self._open and run_id not in self._indexed:
            with self._index_lock:
                if run_id not in self._open and path.exists():
                    IndexWriter.resume(path, os.stat(path).st_size).close()
                    self._indexed.add(run_id)

    @asynccontextmanager
    async def lines(self, run_id: str, size: int) -> AsyncIterator[Lines]:
        def opened() -> LineIndex:
            self._repair_index(run_id)
            return LineIndex(self.path(run_id), size)

        index = await asyncio.to_thread(opened)
        try:
            yield FileLines(index)
        finally:
            index.close()

    # Step sections, as the runner reported them (offsets in its own count).

    async def set_sections(self, run_id: str, sections: list[dict[str, Any]]) -> None:
        self._write_sections(run_id, {"sections": sections, "cut": None})

    async def sections(self, run_id: str) -> list[dict[str, Any]] | None:
        saved = self._read_sections(run_id)
        if saved is None:
            return None
        found = self._open.get(run_id)
        readable = None if found is None else found.readable
        return stored_sections(saved["sections"], readable, saved.get("cut"))

    def _read_sections(self, run_id: str) -> dict[str, Any] | None:
        try:
            saved: dict[str, Any] = json.loads(self._sections_path(run_id).read_bytes())
        except (FileNotFoundError, ValueError):
            return None
        return saved

    def _write_sections(self, run_id: str, saved: dict[str, Any]) -> None:
        path = self._sections_path(run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".new")
        temporary.write_text(json.dumps(saved))
        temporary.replace(path)  # readers see the old list or the new one, whole

    def read_now(
        self, run_id: str, offset: int, end: int, chunk_size: int = CHUNK
    ) -> Iterator[bytes]:
        """Bytes ``[offset, end)`` in chunks of ``chunk_size``, read here and now."""
        if offset >= end:
            return
        try:
            handle = open(self.path(run_id), "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return
        with handle:
            handle.seek(offset)
            remaining = end - offset
            while remaining > 0:
                chunk = handle.read(min(chunk_size, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    async def read(
        self, run_id: str, offset: int, end: int, chunk_size: int = CHUNK
    ) -> AsyncGenerator[bytes, None]:
        for chunk in self.read_now(run_id, offset, end, chunk_size):
            yield chunk

    def _readinto_now(self, run_id: str, offset: int, buffer: memoryview) -> int:
        try:
            handle = open(self.path(run_id), "rb", buffering=0)  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return 0
        with handle:
            handle.seek(offset)
            filled = 0
            while filled < len(buffer):
                read = handle.readinto(buffer[filled:])
                if not read:
                    break
                filled += read
            return filled

    async def readinto(self, run_id: str, offset: int, buffer: memoryview) -> int:
        """Without a copy; big reads (a search's 4 MiB) go to a thread."""
        return await asyncio.to_thread(self._readinto_now, run_id, offset, buffer)

    async def delete_many(self, conn: Connection, run_ids: Iterable[str]) -> None:
        doomed = list(run_ids)
        conn.on_commit(lambda: self.delete_now(doomed))

    def delete_now(self, run_ids: Iterable[str]) -> None:
        for run_id in run_ids:
            self.close_now(run_id)
            self._indexed.discard(run_id)
            with contextlib.suppress(FileNotFoundError):
                self.path(run_id).unlink()
            with contextlib.suppress(FileNotFoundError):
                self._sections_path(run_id).unlink()
            logindex.delete(self.path(run_id))
            shutil.rmtree(tail_dir(self.path(run_id)), ignore_errors=True)

    async def close_all(self) -> None:
        for run_id in list(self._open):
            self.close_now(run_id)
