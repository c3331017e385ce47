"""Run logs: append-only files addressed by byte offset.

Appends carry the runner's offset they start at, so a runner that retries an
append never duplicates output. Readers address the stored log by its own
byte offsets and can resume anywhere: what they see is always a prefix of the
final log, also past the cap (``logfile``: head, dropped-bytes line, tail).
Nothing holds a whole log in memory: reads go by ranges and by chunks.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ishcd.logfile import OpenLog, tail_dir

INLINE_LIMIT = 1024 * 1024
INLINE_PART = INLINE_LIMIT // 2
CHUNK = 64 * 1024


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

    def path(self, run_id: str) -> Path:
        return self.root / run_id[:2] / f"{run_id}.log"

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
            found = self._open[run_id] = OpenLog.open(self.path(run_id), self.max_bytes)
        return found

    def close(self, run_id: str) -> int:
        """Stop writing a run's log: the head, the dropped-bytes line, the tail. Its size."""
        found = self._open.pop(run_id, None)
        if found is None:
            if not tail_dir(self.path(run_id)).exists():
                return self.size(run_id)
            found = OpenLog.open(self.path(run_id), self.max_bytes)  # cut off by a crash
        return found.finish()

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
            shutil.rmtree(tail_dir(self.path(run_id)), ignore_errors=True)

    def close_all(self) -> None:
        for run_id in list(self._open):
            self.close(run_id)
