"""Run logs: append-only files addressed by byte offset.

Appends carry the offset they start at, so a runner that retries an append
never duplicates output, and a reader can resume anywhere. Nothing holds a
whole log in memory: reads go by ranges and by chunks.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ishcd import exceptions

INLINE_LIMIT = 1024 * 1024
INLINE_PART = INLINE_LIMIT // 2
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Inline:
    text: str | None
    truncated: bool


class LogStore:
    def __init__(self, root: Path):
        self.root = root
        self._open: dict[str, tuple[BinaryIO, int]] = {}

    def path(self, run_id: str) -> Path:
        return self.root / run_id[:2] / f"{run_id}.log"

    def size(self, run_id: str) -> int:
        handle = self._open.get(run_id)
        if handle is not None:
            return handle[1]
        try:
            return self.path(run_id).stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, run_id: str, offset: int, data: bytes) -> int:
        """Write ``data`` at ``offset``; skip what is already there. The new size."""
        handle, size = self._handle(run_id)
        if offset > size:
            raise exceptions.Conflict(f"log append at {offset} leaves a gap after byte {size}")
        skip = size - offset
        if skip < len(data):
            handle.write(data[skip:])
            handle.flush()
            size += len(data) - skip
            self._open[run_id] = (handle, size)
        return size

    def _handle(self, run_id: str) -> tuple[BinaryIO, int]:
        found = self._open.get(run_id)
        if found is None:
            path = self.path(run_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "ab")  # noqa: SIM115 - kept open while the run writes
            found = self._open[run_id] = (handle, handle.seek(0, os.SEEK_END))
        return found

    def close(self, run_id: str) -> int:
        """Stop writing a run's log; its final size."""
        found = self._open.pop(run_id, None)
        if found is None:
            return self.size(run_id)
        found[0].close()
        return found[1]

    def read(self, run_id: str, offset: int, end: int) -> Iterator[bytes]:
        """Bytes ``[offset, end)`` in chunks."""
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
                chunk = handle.read(min(CHUNK, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

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
            with contextlib.suppress(FileNotFoundError):
                self.path(run_id).unlink()

    def close_all(self) -> None:
        for run_id in list(self._open):
            self.close(run_id)
