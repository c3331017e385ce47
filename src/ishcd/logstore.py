"""Run logs: one interface, two stores (files on disk, rows in PostgreSQL).

A log is addressed by byte offset. Appends carry the runner's offset they
start at, so a runner that retries an append never duplicates output: a chunk
sent again is skipped, a chunk that overlaps what is stored adds only its new
part, and one that starts past the end is refused (``exceptions.LogGap``,
carrying where the log ends). Readers address the stored log by its own byte
offsets and can resume anywhere: what they see is always a prefix of the
final log, also past the cap (head, a dropped-bytes line, tail). Nothing holds
a whole log in memory: reads go by ranges and by chunks.

``FileLogStore`` (``logstore_file``) keeps each log in files under the data
directory: the store of a single server, and of SQLite. ``DatabaseLogStore``
(``logstore_db``) keeps them in PostgreSQL as chunks, so any replica serves any
log with no shared file system. ``open_store`` picks one from the settings
(``ISHCD_LOG_STORE``). Later stores (artifacts, caches) follow this shape.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncGenerator, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ishcd.db.database import Connection, Database
    from ishcd.settings import Settings

INLINE_LIMIT = 1024 * 1024
INLINE_PART = INLINE_LIMIT // 2
CHUNK = 64 * 1024


class Lines(Protocol):
    """Line lookups in the first ``size`` bytes of a stored log (lines from 0 here)."""

    size: int

    async def offset_of(self, line: int) -> int | None:
        """Where the line starts; None when the log has no such line."""

    async def line_of(self, offset: int) -> int:
        """The line byte ``offset`` is in: the newlines before it."""

    async def count(self) -> int:
        """The lines: the newlines, and one more for a last line without one."""


@dataclass(frozen=True)
class Inline:
    text: str | None
    truncated: bool


def cap_parts(max_bytes: int) -> tuple[int, int]:
    """A cap's head and tail: the bytes kept from the start and from the end (-1: no cap)."""
    if not max_bytes:
        return -1, 0
    return max_bytes // 2, max_bytes - max_bytes // 2


def dropped_note(dropped: int, cap: int) -> bytes:
    """The line between head and tail of a log past its cap."""
    return (
        f"\n[ishcd] {dropped} bytes of log dropped here (the log passed its cap of {cap} bytes)\n"
    ).encode()


def stored_sections(
    sections: list[dict[str, Any]], readable: int | None, cut: list[int] | None
) -> list[dict[str, Any]]:
    """Sections reported in the runner's offsets, in the stored log's offsets.

    ``readable``: the log is being written and readers see this much (past the
    cap the tail is held back: clamp to it). ``cut``: where the finished log
    dropped bytes (head, the runner's offset it resumed at, the note's length).
    """

    def stored(offset: int | None) -> int | None:
        if offset is None:
            return None
        if readable is not None:
            return min(offset, readable)
        if cut is None:
            return offset
        head, resume, note = (int(n) for n in cut)
        if offset <= head:
            return offset
        return head if offset < resume else offset - resume + head + note

    return [{**s, "start": stored(s["start"]), "end": stored(s.get("end"))} for s in sections]


class LogStore(abc.ABC):
    """Run logs, each capped at ``max_bytes`` (0: no cap)."""

    max_bytes: int
    # A follower reading new bytes waits this long before it asks again: a log
    # written in many small appends then costs a follower a bounded number of reads.
    follow_gap: float = 0.0

    @abc.abstractmethod
    async def size(self, run_id: str) -> int:
        """How much of the log readers may see: a prefix of the final log."""

    @abc.abstractmethod
    async def received(self, run_id: str) -> int:
        """The runner's offset: where its next append starts (dropped bytes count)."""

    @abc.abstractmethod
    async def append(self, run_id: str, offset: int, data: bytes) -> int:
        """Store ``data`` at the runner's ``offset``, skipping what is there already.

        Returns the runner's new offset; raises ``exceptions.LogGap`` when
        ``offset`` is past it. Once it returns, the bytes are stored.
        """

    @abc.abstractmethod
    async def note(self, run_id: str, message: str) -> None:
        """A line from Ish CD itself at the end of what the runner sent."""

    @abc.abstractmethod
    async def close(self, run_id: str) -> int:
        """Stop writing a run's log: the head, the dropped-bytes line, the tail. Its size."""

    @abc.abstractmethod
    def lines(self, run_id: str, size: int) -> AbstractAsyncContextManager[Lines]:
        """The line index of the first ``size`` bytes of the stored log."""

    @abc.abstractmethod
    async def set_sections(self, run_id: str, sections: list[dict[str, Any]]) -> None:
        """Keep a run's sections: each with ``start`` and ``end`` (None while it runs)
        in the runner's offsets, and any other fields as they are."""

    @abc.abstractmethod
    async def sections(self, run_id: str) -> list[dict[str, Any]] | None:
        """A run's sections with ``start`` and ``end`` in the stored log's offsets."""

    @abc.abstractmethod
    def read(
        self, run_id: str, offset: int, end: int, chunk_size: int = CHUNK
    ) -> AsyncGenerator[bytes, None]:
        """Bytes ``[offset, end)`` in chunks of at most ``chunk_size``, as they are read."""

    async def readinto(self, run_id: str, offset: int, buffer: memoryview) -> int:
        """Fill ``buffer`` from byte ``offset``; how many bytes came."""
        filled = 0
        async for chunk in self.read(run_id, offset, offset + len(buffer), len(buffer)):
            buffer[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
        return filled

    async def _joined(self, run_id: str, offset: int, end: int) -> bytes:
        return b"".join([chunk async for chunk in self.read(run_id, offset, end)])

    async def inline(self, run_id: str, size: int) -> Inline:
        """The log to show on a finished run: whole up to 1 MiB, else head and tail."""
        if size <= 0:
            return Inline(None, False)
        if size <= INLINE_LIMIT:
            return Inline((await self._joined(run_id, 0, size)).decode(errors="replace"), False)
        head = (await self._joined(run_id, 0, INLINE_PART)).decode(errors="replace")
        tail = (await self._joined(run_id, size - INLINE_PART, size)).decode(errors="replace")
        omitted = size - 2 * INLINE_PART
        note = f"\n[... {omitted} bytes of log omitted; read them from the /log endpoint ...]\n"
        return Inline(head + note + tail, True)

    @abc.abstractmethod
    async def delete_many(self, conn: Connection, run_ids: Iterable[str]) -> None:
        """Delete these runs' logs with ``conn``'s transaction: at once in the database
        (undone if it rolls back), or once it commits (files)."""

    @abc.abstractmethod
    async def close_all(self) -> None:
        """The server stops: finish the logs still open here."""


class LogStoreRefused(ValueError):
    """The settings ask for a log store this database cannot hold."""


def choose(settings: Settings, dialect: str) -> str:
    """``file`` or ``database``: what ``ISHCD_LOG_STORE`` gives on this database."""
    wanted = settings.log_store
    if wanted == "auto":
        return "database" if dialect == "postgresql" else "file"
    if wanted == "database" and dialect != "postgresql":
        raise LogStoreRefused(
            "ISHCD_LOG_STORE=database keeps logs in PostgreSQL, and the database is "
            f"{dialect}: use ISHCD_LOG_STORE=file (or auto) with SQLite"
        )
    return wanted


def open_store(settings: Settings, db: Database) -> LogStore:
    """The log store the settings ask for on ``db``."""
    if choose(settings, db.dialect) == "database":
        from ishcd.logstore_db import DatabaseLogStore

        return DatabaseLogStore(db, settings.log_max_bytes)
    from ishcd.logstore_file import FileLogStore

    return FileLogStore(settings.logs_dir, settings.log_max_bytes)
