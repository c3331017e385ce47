"""The database log store: run logs in PostgreSQL, so any replica serves any log.

A log is a row in ``logs`` (its size, newlines, the runner's offset, sections,
whether it is closed) and its bytes in ``log_chunks``: rows of at most
``PIECE`` bytes keyed by the offset they start at, each with the newlines
before it (the line index: a line or the line of a byte is one indexed row
and a scan of at most ``PIECE`` bytes). An append is one transaction that
locks the log's row: it skips what is stored (a resent chunk), stores the new
part, and commits before it returns, so an append that returned is stored and
one cut off is either stored whole or not at all (the runner sends it again).
Small appends extend the last chunk while it is under ``COALESCE`` bytes, so a
log printed a line at a time does not become a row per line.

Past the cap, bytes go to ``log_tail`` (by the runner's offsets) and readers
see only the head; closing the log writes the dropped-bytes line and moves
the tail that is kept to ``log_chunks``, in one transaction, exactly as the
file store does (``logfile``).

Reads go chunk by chunk, ``READ_BATCH`` chunks per query, with no connection
held between batches (a slow client holds none). A lost connection raises
``exceptions.Unavailable`` like every other query.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from ishcd import exceptions
from ishcd.db import logs as logs_db
from ishcd.db.database import Connection, Database
from ishcd.db.logs import LogState
from ishcd.logstore import CHUNK, Lines, LogStore, cap_parts, dropped_note, stored_sections

PIECE = 256 * 1024
COALESCE = 32 * 1024
READ_BATCH = 4
# Each follower asks the database at most 20 times a second while a log grows.
FOLLOW_GAP = 0.05


class DatabaseLines:
    """``Lines`` of the first ``size`` bytes of a log in the database."""

    def __init__(self, db: Database, run_id: str, size: int):
        self.db = db
        self.run_id = run_id
        self.size = size

    async def _newlines_before(self, offset: int) -> tuple[int, bytes]:
        """The newlines before byte ``offset`` (>0), and the byte before it."""
        async with self.db.read() as conn:
            found = await logs_db.prefix_before(conn, self.run_id, offset)
        if found is None:
            return 0, b""
        before, prefix = found
        return before + prefix.count(b"\n"), prefix[-1:]

    async def line_of(self, offset: int) -> int:
        offset = max(0, min(offset, self.size))
        if offset == 0:
            return 0
        return (await self._newlines_before(offset))[0]

    async def offset_of(self, line: int) -> int | None:
        if line < 0 or self.size == 0:
            return None
        if line == 0:
            return 0
        async with self.db.read() as conn:
            found = await logs_db.chunk_before_line(conn, self.run_id, line)
        if found is None:
            return None
        start, before, data = found
        at = -1
        for _ in range(line - before):
            at = data.find(b"\n", at + 1)
            if at == -1:
                return None
        offset = start + at + 1
        return offset if offset < self.size else None  # a line is there when a byte of it is

    async def count(self) -> int:
        if self.size == 0:
            return 0
        newlines, last = await self._newlines_before(self.size)
        return newlines + (0 if last == b"\n" else 1)


class DatabaseLogStore(LogStore):
    """Run logs in PostgreSQL, each capped at ``max_bytes`` (0: no cap)."""

    def __init__(self, db: Database, max_bytes: int = 0):
        self.db = db
        self.max_bytes = max_bytes
        self.head, self.tail = cap_parts(max_bytes)
        self.follow_gap = FOLLOW_GAP

    async def _info(self, run_id: str) -> logs_db.LogInfo | None:
        async with self.db.read() as conn:
            return await logs_db.get_log(conn, run_id)

    async def size(self, run_id: str) -> int:
        info = await self._info(run_id)
        return 0 if info is None else info.size

    async def received(self, run_id: str) -> int:
        info = await self._info(run_id)
        return 0 if info is None else info.received

    async def append(self, run_id: str, offset: int, data: bytes) -> int:
        async with self.db.transaction() as conn:
            state = await logs_db.lock_log(conn, run_id)
            return await self._append(conn, state, offset, data)

    async def note(self, run_id: str, message: str) -> None:
        async with self.db.transaction() as conn:
            state = await logs_db.lock_log(conn, run_id)
            await self._append(conn, state, state.received, f"\n[ishcd] {message}\n".encode())

    async def _append(self, conn: Connection, state: LogState, offset: int, data: bytes) -> int:
        if offset > state.received:
            raise exceptions.LogGap(offset, state.received)
        skip = state.received - offset
        if skip >= len(data):
            return state.received
        new = memoryview(data)[skip:]
        at = state.received
        if state.closed or self.head < 0:
            head_part = len(new)  # a finished log written on (a note) is all head
        elif state.tail_tip is None and state.size < self.head:
            head_part = min(len(new), self.head - state.size)
        else:
            head_part = 0
        if head_part:
            await self._store(conn, state, new[:head_part])
        if head_part < len(new):
            await self._store_tail(conn, state, new[head_part:], at + head_part)
        state.received = at + len(new)
        await logs_db.save_log(conn, state)
        return state.received

    async def _store(self, conn: Connection, state: LogState, data: memoryview) -> None:
        """Add ``data`` to the stored log, filling its last chunk first while it is small."""
        pos = 0
        while pos < len(data):
            last = state.size - state.tip
            if state.size > 0 and last < COALESCE:
                piece = bytes(data[pos : pos + PIECE - last])
                await logs_db.extend_chunk(conn, state.run_id, state.tip, piece)
            else:
                piece = bytes(data[pos : pos + PIECE])
                await logs_db.insert_chunk(conn, state.run_id, state.size, state.lines, piece)
                state.tip = state.size
            state.size += len(piece)
            state.lines += piece.count(b"\n")
            pos += len(piece)

    async def _store_tail(
        self, conn: Connection, state: LogState, data: memoryview, at: int
    ) -> None:
        """Past the cap: add to the rolling tail, and drop what the tail no longer keeps."""
        pos = 0
        while pos < len(data):
            last = -1 if state.tail_tip is None else at - state.tail_tip
            if 0 <= last < COALESCE:
                assert state.tail_tip is not None
                piece = bytes(data[pos : pos + PIECE - last])
                await logs_db.extend_tail(conn, state.run_id, state.tail_tip, piece)
            else:
                piece = bytes(data[pos : pos + PIECE])
                await logs_db.insert_tail(conn, state.run_id, at, piece)
                state.tail_tip = at
            at += len(piece)
            pos += len(piece)
        await logs_db.drop_tail(conn, state.run_id, at - self.tail)

    async def close(self, run_id: str) -> int:
        async with self.db.transaction() as conn:
            state = await logs_db.lock_log(conn, run_id)
            if state.closed:
                return state.size
            if state.tail_tip is not None:
                await self._finish_tail(conn, state)
            state.closed = True
            await logs_db.save_log(conn, state)
        return state.size

    async def _finish_tail(self, conn: Connection, state: LogState) -> None:
        head = state.size
        keep = max(head, state.received - self.tail)  # the first byte of the tail kept
        if keep > head:
            note = dropped_note(keep - head, self.max_bytes)
            await self._store(conn, state, memoryview(note))
            state.cut = json.dumps([head, keep, len(note)])
        after = -1
        while rows := await logs_db.tail_chunks(conn, state.run_id, after, READ_BATCH):
            for start, data in rows:
                if start + len(data) > keep:
                    await self._store(conn, state, memoryview(data)[max(0, keep - start) :])
                after = start
        await logs_db.clear_tail(conn, state.run_id)
        state.tail_tip = None

    @asynccontextmanager
    async def lines(self, run_id: str, size: int) -> AsyncIterator[Lines]:
        yield DatabaseLines(self.db, run_id, size)

    async def set_sections(self, run_id: str, sections: list[dict[str, Any]]) -> None:
        async with self.db.transaction() as conn:
            await logs_db.set_sections(conn, run_id, json.dumps(sections))

    async def sections(self, run_id: str) -> list[dict[str, Any]] | None:
        info = await self._info(run_id)
        if info is None or info.sections is None:
            return None
        saved: list[dict[str, Any]] = json.loads(info.sections)
        cut = None if info.cut is None else json.loads(info.cut)
        return stored_sections(saved, None if info.closed else info.size, cut)

    async def read(
        self, run_id: str, offset: int, end: int, chunk_size: int = CHUNK
    ) -> AsyncGenerator[bytes, None]:
        at = offset
        while at < end:
            async with self.db.read() as conn:
                rows = await logs_db.chunks(conn, run_id, at, end, READ_BATCH)
            moved = False
            for start, data in rows:
                lo, hi = max(0, at - start), min(len(data), end - start)
                if lo >= hi:
                    continue
                view = memoryview(data)
                for piece in range(lo, hi, chunk_size):
                    yield bytes(view[piece : min(hi, piece + chunk_size)])
                at, moved = start + hi, True
            if not moved:
                return

    async def delete_many(self, conn: Connection, run_ids: Iterable[str]) -> None:
        await logs_db.delete_logs(conn, list(run_ids))

    async def close_all(self) -> None:
        """Nothing to do: a log in the database is stored as it is appended."""
