"""A log's line index: where every ``EVERY``-th line starts, in a file beside the log.

``<run>.idx`` holds fixed-size records: record ``k`` is the byte offset (8
bytes, little-endian) in the stored log of line ``k * EVERY`` (lines counted
from 0 here; the API counts from 1). Record 0 is always 0. Finding a line is
one seek into the index and a scan of fewer than ``EVERY`` lines of the log;
finding the line of a byte is a binary search of the records and the same
short scan.

Lines end with ``\\n`` (a ``\\r`` before it belongs to the line). The index is
written as the stored log is (``IndexWriter.feed`` after each write to
``<run>.log``), so it is never ahead of the log: after a crash, ``resume``
drops a torn record and any record past the log's end, and indexes the rest
of the log from the last record on. Readers only trust records up to the
size they read the log to, so a record written while they read does no harm.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

EVERY = 256
RECORD = struct.Struct("<Q")
SCAN_CHUNK = 64 * 1024


def index_path(log_path: Path) -> Path:
    return log_path.with_suffix(".idx")


def _newline_after(data: bytes, start: int, n: int) -> int:
    """The index just past the ``n``-th newline of ``data`` from ``start`` (it must exist)."""
    at = start
    for _ in range(n):
        at = data.index(b"\n", at) + 1
    return at


class IndexWriter:
    """Indexes the bytes of a stored log as they are appended to it, in order."""

    def __init__(self, fd: int, records: int, newlines: int, size: int):
        self._fd = fd
        self.records = records  # written so far; the next is for line records * EVERY
        self.newlines = newlines  # in the stored log so far
        self.size = size  # bytes of the stored log fed so far

    @classmethod
    def resume(cls, log_path: Path, size: int) -> IndexWriter:
        """The index of the first ``size`` bytes of ``log_path``, repaired and completed."""
        fd = os.open(index_path(log_path), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            records = os.fstat(fd).st_size // RECORD.size
            # Drop records past the log (a log truncated by a repair of its cap).
            while records > 1 and _record(fd, records - 1) > size:
                records -= 1
            if records == 0 or _record(fd, 0) != 0:
                records = 0
            os.ftruncate(fd, records * RECORD.size)
            os.lseek(fd, 0, os.SEEK_END)
            writer = cls(fd, records, 0, 0)
            if records == 0:
                writer._write([0])
            else:
                writer.newlines = (records - 1) * EVERY
                writer.size = _record(fd, records - 1)
            if writer.size < size:
                with open(log_path, "rb") as log:
                    log.seek(writer.size)
                    left = size - writer.size
                    while left > 0 and (chunk := log.read(min(SCAN_CHUNK, left))):
                        writer.feed(chunk)
                        left -= len(chunk)
        except BaseException:
            os.close(fd)
            raise
        return writer

    def feed(self, data: bytes) -> None:
        """``data`` was appended to the stored log."""
        count = data.count(b"\n")
        due = self.records * EVERY - self.newlines  # newlines until the next record's line
        if count >= due:
            found: list[int] = []
            at, left = 0, count
            while left >= due:
                at = _newline_after(data, at, due)
                found.append(self.size + at)
                left -= due
                due = EVERY
            self._write(found)
        self.newlines += count
        self.size += len(data)

    def _write(self, offsets: list[int]) -> None:
        packed = b"".join(RECORD.pack(offset) for offset in offsets)
        view = memoryview(packed)
        while view:
            view = view[os.write(self._fd, view) :]
        self.records += len(offsets)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _record(fd: int, k: int) -> int:
    raw = os.pread(fd, RECORD.size, k * RECORD.size)
    return int(RECORD.unpack(raw)[0]) if len(raw) == RECORD.size else -1


class LineIndex:
    """Lines of the first ``size`` bytes of a stored log, looked up through its index."""

    def __init__(self, log_path: Path, size: int):
        self.log_path = log_path
        self.size = size
        self._log: BinaryIO | None = None
        try:
            self._log = open(log_path, "rb")  # noqa: SIM115 - closed by close()
        except FileNotFoundError:
            self.size = size = 0  # no log yet: no lines
        try:
            self._idx = os.open(index_path(log_path), os.O_RDONLY)
        except FileNotFoundError:
            self._idx = -1
        stored = 0 if self._idx < 0 else os.fstat(self._idx).st_size // RECORD.size
        # Trust records only up to the size read (a writer may be ahead of it).
        lo, hi = 0, stored
        while lo < hi:
            mid = (lo + hi) // 2
            if _record(self._idx, mid) <= size:
                lo = mid + 1
            else:
                hi = mid
        self.records = max(lo, 1)

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
        if self._idx >= 0:
            os.close(self._idx)
            self._idx = -1

    def __enter__(self) -> LineIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start_of_record(self, k: int) -> int:
        return 0 if k == 0 or self._idx < 0 else _record(self._idx, k)

    def _chunks(self, start: int, end: int) -> Iterator[bytes]:
        if self._log is None:
            return
        self._log.seek(start)
        left = end - start
        while left > 0 and (chunk := self._log.read(min(SCAN_CHUNK, left))):
            left -= len(chunk)
            yield chunk

    def _skip_lines(self, start: int, n: int) -> int | None:
        """The offset just past the ``n``-th newline from ``start``; None past the end."""
        at = start
        for chunk in self._chunks(start, self.size):
            count = chunk.count(b"\n")
            if count >= n:
                return at + _newline_after(chunk, 0, n) if n else at
            n -= count
            at += len(chunk)
        return at if n == 0 else None

    def _newlines(self, start: int, end: int) -> int:
        return sum(chunk.count(b"\n") for chunk in self._chunks(start, end))

    def offset_of(self, line: int) -> int | None:
        """Where line ``line`` (from 0) starts; None when the log has no such line."""
        if line < 0:
            return None
        k = min(line // EVERY, self.records - 1)
        at = self._skip_lines(self._start_of_record(k), line - k * EVERY)
        if at is None or at >= self.size:
            return None  # a line is there only when a byte of it is
        return at

    def line_of(self, offset: int) -> int:
        """The line (from 0) that byte ``offset`` is in: the newlines before it."""
        offset = max(0, min(offset, self.size))
        lo, hi = 0, self.records - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._start_of_record(mid) <= offset:
                lo = mid
            else:
                hi = mid - 1
        start = self._start_of_record(lo)
        return lo * EVERY + self._newlines(start, offset)

    def count(self) -> int:
        """The lines of the log: its newlines, and one more if the last line has no newline."""
        if self.size == 0 or self._log is None:
            return 0
        self._log.seek(self.size - 1)
        last = self._log.read(1)
        return self.line_of(self.size) + (0 if last == b"\n" else 1)


def delete(log_path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        index_path(log_path).unlink()
