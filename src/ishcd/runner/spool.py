"""A run's output on its way to the server, buffered on disk.

An agent's script must not wait for the server: its output is written here
and ``append_log`` returns at once; a sender (``runner.http``) ships it to
the server by offset, in chunks, for as long as it takes. The spool is a
list of segment files; a segment the server holds is deleted (the last few
are kept, so a chunk the server lost can be sent again).

The output not yet sent is bounded (``limit``). Past it, the oldest middle
part is dropped, whole segments at a time, and a line saying how much takes
its place: the head (what the sender is at, and a quarter of the limit
after it) and the tail (the newest output) are kept. The server's log is
then head + that line + tail, and every offset the sender uses is the
server's: ``server_offset`` maps the runner's offsets (which count every
byte the script wrote) to the server's, for the run's sections.

Everything here runs on the agent's event loop: no locks, and the
reads and writes are small (a chunk, a segment).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ishcd.runner.protocol import Section

CHUNK_BYTES = 1024 * 1024  # at most this much in one request to the server
SEGMENT_BYTES = 4 * 1024 * 1024
MIN_SEGMENT_BYTES = 4096


@dataclass
class _Drop:
    """Runner bytes [runner_from, runner_to) became the server's [marker_start, marker_end)."""

    runner_from: int
    runner_to: int
    marker_start: int
    marker_end: int


@dataclass
class _Segment:
    """Output from ``runner_start`` (data, in a file), or a line saying what was dropped."""

    length: int
    path: Path | None = None  # None: a marker, its bytes in ``text``
    runner_start: int = 0
    text: bytes = b""
    dropped: int = 0  # a marker's: bytes of output it stands for
    drop: _Drop | None = None  # a marker's: where it sits in both offsets

    @property
    def is_marker(self) -> bool:
        return self.path is None


def drop_line(dropped: int, limit: int, newline_first: bool) -> bytes:
    line = (
        f"[ishcd] {dropped} bytes of output dropped here: the server could not be reached "
        f"and the agent's buffer ({limit} bytes) was full\n"
    )
    return (b"\n" if newline_first else b"") + line.encode()


class Spool:
    """One run's output, from server offset ``start`` (the log's size when the attempt began)."""

    def __init__(
        self,
        directory: Path,
        start: int,
        limit: int,
        segment_bytes: int = SEGMENT_BYTES,
        keep_sent: int | None = None,
    ):
        self.directory = directory
        self.limit = limit
        # Segments small enough that the bound is kept to within one of them.
        self.segment_bytes = max(MIN_SEGMENT_BYTES, min(segment_bytes, limit // 8))
        self.chunk_bytes = max(MIN_SEGMENT_BYTES, min(CHUNK_BYTES, limit // 4))
        self.keep_sent = self.segment_bytes if keep_sent is None else keep_sent
        self.base = start  # the server offset of the first segment kept
        self.sent = start  # the server holds everything before this
        self.in_flight = start  # a chunk up to here is on its way: it must not change
        self.runner_end = start  # the runner's offset of the next write
        self.dropped = 0  # bytes of output dropped in all
        self._segments: list[_Segment] = []
        self._drops: list[_Drop] = []
        self._file: int | None = None  # the last data segment, open for appending
        self._names = 0
        # The sections to send, the runner's end when they were reported, and their version.
        self._sections: tuple[list[Section], int, int] | None = None
        self._versions = 0
        directory.mkdir(parents=True, exist_ok=True)

    # The writer's side.

    def write(self, offset: int, data: bytes) -> None:
        """Output at the runner's ``offset`` (always where the last write ended)."""
        if offset != self.runner_end:
            raise ValueError(f"output at {offset}, but the spool ends at {self.runner_end}")
        while data:
            last = self._segments[-1] if self._segments else None
            if last is None or last.is_marker or last.length >= self.segment_bytes:
                last = self._new_segment()
            assert self._file is not None
            part = data[: self.segment_bytes - last.length]
            os.write(self._file, part)
            last.length += len(part)
            self.runner_end += len(part)
            data = data[len(part) :]
        if self.end - self.sent > self.limit:
            self._drop_middle()

    def set_sections(self, sections: list[Section]) -> None:
        """The run's sections (runner offsets): sent once the log holds what they describe."""
        self._versions += 1
        self._sections = (list(sections), self.runner_end, self._versions)

    @property
    def end(self) -> int:
        """The server offset just past everything written so far."""
        return self.base + sum(segment.length for segment in self._segments)

    @property
    def unsent(self) -> int:
        return self.end - self.sent

    def server_offset(self, runner_offset: int) -> int:
        """Where the runner's ``runner_offset`` is in the server's log."""
        shift = 0
        for drop in self._drops:
            if runner_offset < drop.runner_from:
                break
            if runner_offset < drop.runner_to:
                return drop.marker_start
            shift = drop.marker_end - drop.runner_to
        return min(runner_offset + shift, self.end)

    # The sender's side.

    def next_chunk(self) -> tuple[int, bytes] | None:
        """What to send next, at which server offset; None when the server has it all."""
        if self.sent >= self.end:
            return None
        position = self.base
        for segment in self._segments:
            if position + segment.length > self.sent:
                skip = self.sent - position
                size = min(segment.length - skip, self.chunk_bytes)
                data = self._read(segment, skip, size)
                self.in_flight = self.sent + len(data)
                return self.sent, data
            position += segment.length
        return None  # not reached: sent < end

    def acknowledged(self, size: int) -> None:
        """The server's log now holds ``size`` bytes."""
        self.sent = max(self.base, min(size, self.end))
        self.in_flight = self.sent
        self._forget_sent()

    def rewind(self, size: int) -> None:
        """The server holds only ``size`` bytes (it answered 416): send again from there.

        Should the spool no longer hold them, the missing part is replaced by a line
        saying so, and what follows moves up to where the server's log ends.
        """
        if size >= self.base:
            self.sent = min(size, self.end)
        else:
            lost = self.base - size
            runner_from = self._segments[0].runner_start if self._segments else self.runner_end
            text = f"[ishcd] {lost} bytes of output were lost on the server\n".encode()
            drop = _Drop(runner_from, runner_from, size, size + len(text))
            self._segments.insert(0, _Segment(len(text), text=text, dropped=lost, drop=drop))
            self._drops = [d for d in self._drops if d.runner_to <= runner_from] + [drop]
            self.base = self.sent = size
        self.in_flight = self.sent

    def due_sections(self) -> tuple[int, list[Section]] | None:
        """The sections to send now (server offsets) and their version, once the log
        they describe is sent."""
        if self._sections is None:
            return None
        sections, runner_end, version = self._sections
        if self.sent < self.server_offset(runner_end):
            return None
        return version, [self._on_server(section) for section in sections]

    def sections_sent(self, version: int) -> None:
        """The sections of ``version`` are the server's (unless newer ones came meanwhile)."""
        if self._sections is not None and self._sections[2] == version:
            self._sections = None

    def sections_pending(self) -> bool:
        return self._sections is not None

    def close(self) -> None:
        """Delete the files: the run is over for this runner."""
        if self._file is not None:
            os.close(self._file)
            self._file = None
        shutil.rmtree(self.directory, ignore_errors=True)

    # Inside.

    def _on_server(self, section: Section) -> Section:
        translated = dataclasses.replace(section, start=self.server_offset(section.start))
        if section.end is not None:
            translated = dataclasses.replace(translated, end=self.server_offset(section.end))
        return translated

    def _new_segment(self) -> _Segment:
        if self._file is not None:
            os.close(self._file)
        self._names += 1
        path = self.directory / f"{self._names:08d}"
        self._file = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        segment = _Segment(0, path, runner_start=self.runner_end)
        self._segments.append(segment)
        return segment

    def _read(self, segment: _Segment, skip: int, size: int) -> bytes:
        if segment.path is None:
            return segment.text[skip : skip + size]
        with segment.path.open("rb") as handle:
            handle.seek(skip)
            return handle.read(size)

    def _forget_sent(self) -> None:
        """Delete sent segments past the few kept for a resend."""
        while len(self._segments) > 1:
            first = self._segments[0]
            if self.base + first.length + self.keep_sent > self.sent:
                break
            self._remove(first)
            self._segments.pop(0)
            self.base += first.length

    def _remove(self, segment: _Segment) -> None:
        if segment.path is not None:
            if self._segments and segment is self._segments[-1] and self._file is not None:
                os.close(self._file)
                self._file = None
            with contextlib.suppress(FileNotFoundError):
                segment.path.unlink()

    def _drop_middle(self) -> None:
        """Drop whole segments after the head until the output not sent fits in the limit."""
        starts, position = [], self.base
        for segment in self._segments:
            starts.append(position)
            position += segment.length
        head_end = max(self.sent + self.limit // 4, self.in_flight)
        # The head: every segment that starts before its end (and everything sent).
        first = next((i for i, start in enumerate(starts) if start >= head_end), None)
        if first is None:
            return
        # The tail: the newest segments, a quarter of the limit (at least the last one).
        last, tail = len(self._segments) - 1, 0
        while last > first and tail + self._segments[last].length <= self.limit // 4:
            tail += self._segments[last].length
            last -= 1
        if last == len(self._segments) - 1:
            last -= 1  # the segment being written is always kept
        # Drop [first, last] until what is left unsent is within three quarters of the limit.
        goal = self.end - self.sent - self.limit * 3 // 4
        middle: list[_Segment] = []
        for segment in self._segments[first : last + 1]:
            if sum(s.length for s in middle) >= goal:
                break
            middle.append(segment)
        if not middle:
            return
        before = self._segments[first - 1] if first > 0 else None
        merge = before is not None and before.is_marker and starts[first - 1] >= self.in_flight
        at = first - 1 if merge else first
        gone = [*([before] if merge and before is not None else []), *middle]
        data = [s for s in middle if not s.is_marker]
        dropped = sum(s.dropped if s.is_marker else s.length for s in gone)
        # The runner's bytes the new line stands for: its markers' and its data's.
        old = [s.drop for s in gone if s.drop is not None]
        froms = [d.runner_from for d in old] + [s.runner_start for s in data]
        tos = [d.runner_to for d in old] + [s.runner_start + s.length for s in data]
        for d in old:
            self._drops.remove(d)
        marker_start = starts[at]
        text = drop_line(dropped, self.limit, not self._ends_with_newline(at - 1))
        drop = _Drop(min(froms), max(tos), marker_start, marker_start + len(text))
        self._drops.append(drop)
        self._drops.sort(key=lambda d: d.runner_from)
        for segment in middle:
            self._remove(segment)
        self.dropped += sum(s.length for s in data)
        marker = _Segment(len(text), text=text, dropped=dropped, drop=drop)
        self._segments[at : first + len(middle)] = [marker]

    def _ends_with_newline(self, index: int) -> bool:
        if index < 0:
            return True  # the head is all sent: the server's log ends there, a line or not
        segment = self._segments[index]
        if segment.length == 0:
            return self._ends_with_newline(index - 1)
        return self._read(segment, segment.length - 1, 1) == b"\n"
