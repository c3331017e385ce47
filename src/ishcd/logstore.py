"""Run logs: append-only files addressed by byte offset.

Appends carry the runner's offset they start at, so a runner that retries an
append never duplicates output. Readers address the stored log by its own
byte offsets and can resume anywhere: what they see is always a prefix of the
final log, also past the cap (``logfile``: head, dropped-bytes line, tail).
Nothing holds a whole log in memory: reads go by ranges and by chunks.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ishcd import logindex
from ishcd.logfile import OpenLog, tail_dir
from ishcd.logindex import IndexWriter, LineIndex

INLINE_LIMIT = 1024 * 1024
INLINE_PART = INLINE_LIMIT // 2
CHUNK = 64 * 1024


class Lines(Protocol):
    """Line lookups in the first ``size`` bytes of a stored log (lines from 0 here).

    What ``LogStore.lines`` gives; another store (one in the database) gives
    its own with the same methods.
    """

    size: int

    def offset_of(self, line: int) -> int | None:
        """Where the line starts; None when the log has no such line."""

    def line_of(self, offset: int) -> int:
        """The line byte ``offset`` is in: the newlines before it."""

    def count(self) -> int:
        """The lines: the newlines, and one more for a last line without one."""

    def close(self) -> None: ...

    def __enter__(self) -> Lines: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass(frozen=True)
class Inline:
    text: str | None
    truncated: bool


class LogStore:
    """Run logs in ``root``, each capped at ``max_bytes`` (0: no cap); see ``logfile``."""

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

    def size(self, run_id: str) -> int:
        """How much of the log readers may see: a prefix of the final log."""
        found = self._open.get(run_id)
        if found is not None:
            return found.readable
        try:
            return self.path(run_id).stat().st_size
        except FileNotFoundError:
            return 0

    def received(self, run_id: str) -> int:
        """The runner's offset: where its next append starts (dropped bytes count)."""
        return self._handle(run_id).received

    def append(self, run_id: str, offset: int, data: bytes) -> int:
        """Write ``data`` at the runner's ``offset``; skip what is already there.

        Returns the runner's new offset. Past the cap, bytes go to the rolling
        tail; if the disk is full they are counted and lost (``logfile``).
        """
        return self._handle(run_id).append(offset, data)

    def note(self, run_id: str, message: str) -> None:
        """A line from Ish CD itself at the end of what the runner sent."""
        self.append(run_id, self.received(run_id), f"\n[ishcd] {message}\n".encode())

    def _handle(self, run_id: str) -> OpenLog:
        found = self._open.get(run_id)
        if found is None:
            self._indexed.discard(run_id)
            with self._index_lock:
                found = self._open[run_id] = OpenLog.open(self.path(run_id), self.max_bytes)
        return found

    def close(self, run_id: str) -> int:
        """Stop writing a run's log: the head, the dropped-bytes line, the tail. Its size."""
        found = self._open.pop(run_id, None)
        if found is None:
            if not tail_dir(self.path(run_id)).exists():
                return self.size(run_id)
            with self._index_lock:
                found = OpenLog.open(self.path(run_id), self.max_bytes)  # cut off by a crash
        size = found.finish()
        if found.cut is not None:
            saved = self._read_sections(run_id)
            if saved is not None:
                self._write_sections(run_id, {**saved, "cut": list(found.cut)})
        return size

    # Line index (``logindex``): behind the store, so another store can keep its own.

    def lines(self, run_id: str, size: int) -> Lines:
        """The line index of the first ``size`` bytes of the stored log (close it after).

        A closed log whose index is missing or behind (a log from before indexes,
        a crash) has it repaired first: that reads the log once.
        """
        path = self.path(run_id)
        if run_id not in self._open and run_id not in self._indexed:
            with self._index_lock:
                if run_id not in self._open and path.exists():
                    IndexWriter.resume(path, os.stat(path).st_size).close()
                    self._indexed.add(run_id)
        return LineIndex(path, size)

    # Step sections, as the runner reported them (offsets in its own count).

    def set_sections(self, run_id: str, sections: list[dict[str, Any]]) -> None:
        """Keep a run's sections: each with ``start`` and ``end`` (None while it runs)
        in the runner's offsets, and any other fields as they are."""
        self._write_sections(run_id, {"sections": sections, "cut": None})

    def sections(self, run_id: str) -> list[dict[str, Any]] | None:
        """A run's sections with ``start`` and ``end`` in the stored log's offsets."""
        saved = self._read_sections(run_id)
        if saved is None:
            return None
        found = self._open.get(run_id)
        cut = saved.get("cut")

        def stored(offset: int | None) -> int | None:
            if offset is None:
                return None
            if found is not None:  # past the cap, the tail is held back: clamp
                return min(offset, found.readable)
            if cut is None:
                return offset
            head, resume, note = (int(n) for n in cut)
            if offset <= head:
                return offset
            return head if offset < resume else offset - resume + head + note

        sections: list[dict[str, Any]] = saved["sections"]
        return [{**s, "start": stored(s["start"]), "end": stored(s.get("end"))} for s in sections]

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

    def read(self, run_id: str, offset: int, end: int, chunk_size: int = CHUNK) -> Iterator[bytes]:
        """Bytes ``[offset, end)`` in chunks of ``chunk_size``."""
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

    def readinto(self, run_id: str, offset: int, buffer: memoryview) -> int:
        """Fill ``buffer`` from byte ``offset`` (without a copy); how many bytes came."""
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

    def inline(self, run_id: str, size: int) -> Inline:
        """The log to show on a finished run: whole up to 1 MiB, else head and tail."""
        if size <= 0:
            return Inline(None, False)
        if size <= INLINE_LIMIT:
            return Inline(b"".join(self.read(run_id, 0, size)).decode(errors="replace"), False)
        head = b"".join(self.read(run_id, 0, INLINE_PART)).decode(errors="replace")
        tail = b"".join(self.read(run_id, size - INLINE_PART, size)).decode(errors="replace")
        omitted = size - 2 * INLINE_PART
        note = f"\n[... {omitted} bytes of log omitted; read them from the /log endpoint ...]\n"
        return Inline(head + note + tail, True)

    def delete_many(self, run_ids: Iterable[str]) -> None:
        for run_id in run_ids:
            self.close(run_id)
            self._indexed.discard(run_id)
            with contextlib.suppress(FileNotFoundError):
                self.path(run_id).unlink()
            with contextlib.suppress(FileNotFoundError):
                self._sections_path(run_id).unlink()
            logindex.delete(self.path(run_id))
            shutil.rmtree(tail_dir(self.path(run_id)), ignore_errors=True)

    def close_all(self) -> None:
        for run_id in list(self._open):
            self.close(run_id)
