"""One run's log while it is written: a head, a rolling tail, and the cap between.

Appends are addressed by the runner's offset: the count of (masked) bytes it
has sent, dropped or not. The first ``head`` bytes go to ``<run>.log`` as they
come, and readers see them at once. Past the head, bytes go to a rolling tail:
segment files in ``<run>.tail/``, named by the offset of their first byte, of
which only those holding the last ``tail`` bytes are kept. Readers see nothing
of the tail while the run goes: what they can read is always a prefix of the
final log, so an offset means the same byte before and after the run ends.

``finish`` makes the final log: the head, then (when bytes were dropped) a
line saying how many, then the tail, appended to ``<run>.log``. A crash in
the middle is repaired by the next ``open``: the ``cap`` file in the tail
directory marks a log whose tail is not in ``<run>.log`` yet.

A write that fails (a full disk) does not reach the runner: the log stops
storing, keeps counting, and ends with a line saying how many bytes were lost,
so the run goes on and ends by its own exit code.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
from pathlib import Path

from ishcd import exceptions
from ishcd.logindex import IndexWriter, index_path

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
MAX_SEGMENT = 4 * 1024 * 1024


def tail_dir(path: Path) -> Path:
    return path.with_suffix(".tail")


def describe_failure(exc: OSError, path: Path) -> str:
    """What went wrong writing ``path``, for a log line and the server log."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left on the device holding the run logs ({path.parent.parent})"
    return f"could not write the log: {exc.strerror or exc}"


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]


class OpenLog:
    """The files of one log being written, and where its offsets stand."""

    def __init__(self, path: Path, cap: int):
        self.path = path
        self.cap = cap  # 0: no cap
        self.head = cap // 2 if cap else -1  # -1: no tail, ever
        self.tail = cap - cap // 2
        self.readable = 0  # bytes of <run>.log readers may see
        self.received = 0  # the runner's offset: every byte sent, kept or not
        self.lost: str | None = None  # why the log stopped storing, if it did
        self._fd = -1
        self._segments: list[tuple[int, Path]] = []  # (first offset, file), oldest first
        self._segment_fd = -1
        self._segment_end = 0  # offset just past the current segment's last byte
        self._index: IndexWriter | None = None  # the line index of <run>.log (logindex)
        # Where the tail went at finish: (head, first tail byte kept, bytes of the note
        # between them), to translate the runner's offsets to the stored log's.
        self.cut: tuple[int, int, int] | None = None

    @property
    def in_tail(self) -> bool:
        return bool(self._segments)

    @classmethod
    def open(cls, path: Path, cap: int) -> OpenLog:
        """Open a log to append to, new or as a crash or a ``finish`` left it."""
        opened = cls(path, cap)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            opened._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            opened.readable = opened.received = os.fstat(opened._fd).st_size
            opened._resume_tail()
        except OSError as exc:
            opened._lose(exc)
        opened._open_index()
        return opened

    def _open_index(self) -> None:
        try:
            self._index = IndexWriter.resume(self.path, self.readable)
        except OSError as exc:  # readers rebuild it; the log itself goes on
            log.warning("no line index for the log %s: %s", self.path.name, exc)

    def _write_log(self, data: memoryview) -> None:
        """Append to ``<run>.log`` and index what was written."""
        _write_all(self._fd, data)
        if self._index is not None:
            try:
                self._index.feed(bytes(data))
            except OSError as exc:
                log.warning("the line index of %s stops: %s", self.path.name, exc)
                self._index.close()
                self._index = None
                with contextlib.suppress(OSError):
                    index_path(self.path).unlink()  # readers rebuild it from the log

    def _resume_tail(self) -> None:
        where = tail_dir(self.path)
        marker = where / "cap"
        if not marker.exists():
            shutil.rmtree(where, ignore_errors=True)  # a finish got as far as the marker
            if self.cap and self.readable >= self.head:
                self.head = self.readable  # a finished log written on: it is all head
            return
        head, cap = (int(n) for n in marker.read_text().split())
        self.head, self.cap, self.tail = head, cap, cap - head
        os.truncate(self.path, head)  # a finish that stopped halfway wrote part of the tail
        self.readable = head
        starts = sorted(int(p.name) for p in where.iterdir() if p.name.isdigit())
        self._segments = [(start, where / str(start)) for start in starts]
        if not self._segments:
            self.received = head
            return
        last_start, last = self._segments[-1]
        self._segment_fd = os.open(last, os.O_WRONLY | os.O_APPEND)
        self._segment_end = last_start + os.fstat(self._segment_fd).st_size
        self.received = self._segment_end

    def append(self, offset: int, data: bytes) -> int:
        """Add ``data`` at the runner's ``offset``, skipping what was received."""
        if offset > self.received:
            raise exceptions.LogGap(offset, self.received)
        skip = self.received - offset
        if skip >= len(data):
            return self.received
        new = memoryview(data)[skip:]
        if self.lost is None:
            try:
                self._store(new)
            except OSError as exc:
                self._lose(exc)
        self.received += len(new)
        return self.received

    def _store(self, data: memoryview) -> None:
        at = self.received  # the runner's offset of data[0]
        if self.head < 0 or (self.readable < self.head and not self.in_tail):
            room = len(data) if self.head < 0 else self.head - self.readable
            part = data[:room]
            self._write_log(part)
            self.readable += len(part)
            data, at = data[len(part) :], at + len(part)
        if data:
            self._store_tail(data, at)

    def _store_tail(self, data: memoryview, at: int) -> None:
        segment_size = max(1, min(MAX_SEGMENT, self.tail // 8))
        while data:
            if self._segment_fd < 0 or self._segment_end - self._segments[-1][0] >= segment_size:
                self._new_segment(at)
            room = segment_size - (self._segment_end - self._segments[-1][0])
            part = data[:room]
            _write_all(self._segment_fd, part)
            self._segment_end += len(part)
            data, at = data[len(part) :], at + len(part)
        self._drop_old_segments()

    def _new_segment(self, at: int) -> None:
        where = tail_dir(self.path)
        if not self._segments:
            where.mkdir(exist_ok=True)
            (where / "cap").write_text(f"{self.head} {self.cap}\n")
        if self._segment_fd >= 0:
            os.close(self._segment_fd)
            self._segment_fd = -1
        path = where / str(at)
        self._segment_fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._segments.append((at, path))
        self._segment_end = at

    def _drop_old_segments(self) -> None:
        while len(self._segments) > 1 and self._segment_end - self._segments[1][0] >= self.tail:
            _, oldest = self._segments.pop(0)
            with contextlib.suppress(FileNotFoundError):
                oldest.unlink()

    def _lose(self, exc: OSError) -> None:
        self.lost = describe_failure(exc, self.path)
        log.warning("the log %s stops storing: %s", self.path.name, self.lost)

    def finish(self) -> int:
        """Write the final log and close its files; its size."""
        try:
            if self.lost is None and self.in_tail:
                try:
                    self._finish_tail()
                except OSError as exc:  # no room for the tail: the head and a line
                    self._lose(exc)
            if self.lost is not None:
                self._finish_lost()
        except OSError as exc:
            log.warning("could not finish the log %s: %s", self.path.name, exc)
        finally:
            self._close_files()
        shutil.rmtree(tail_dir(self.path), ignore_errors=True)
        try:
            return self.path.stat().st_size
        except OSError:  # never made: the log is empty
            return 0

    def _finish_tail(self) -> None:
        start = max(self.head, self.received - self.tail)
        dropped = start - self.head
        if dropped:
            note = f"\n[ishcd] {dropped} bytes of log dropped here"
            note += f" (the log passed its cap of {self.cap} bytes)\n"
            self._write_log(memoryview(note.encode()))
            self.cut = (self.head, start, len(note.encode()))
        for first, path in self._segments:
            with open(path, "rb") as segment:
                segment.seek(max(0, start - first))
                while chunk := segment.read(CHUNK):
                    self._write_log(memoryview(chunk))
        (tail_dir(self.path) / "cap").unlink()

    def _finish_lost(self) -> None:
        # What readers saw stays; a write that failed halfway and the tail go.
        lost = self.received - self.readable
        if self._fd < 0:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.truncate(self.path, self.readable)
        note = f"\n[ishcd] {lost} bytes of log lost here: {self.lost}\n"
        if self._index is not None and self._index.size != self.readable:
            self._index.close()  # a failed write was indexed in part: index again
            self._open_index()
        self._write_log(memoryview(note.encode()))
        self.cut = (self.readable, self.received, len(note.encode()))

    def _close_files(self) -> None:
        for fd in (self._fd, self._segment_fd):
            if fd >= 0:
                os.close(fd)
        self._fd = self._segment_fd = -1
        if self._index is not None:
            self._index.close()
            self._index = None
