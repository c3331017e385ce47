"""Free disk space: new runs end ``setup_failed`` before a full disk fails them halfway.

A server checks, before it hands out a run, that the devices holding the run
logs, the embedded runner's workspaces and a SQLite database have at least
``min_free`` bytes free. Below that, the run ends ``error``/``setup_failed`` at once with a line
saying which device is short, while there is still room to record it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

MIB = 1024 * 1024


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged process may still write on the device holding ``path``."""
    for where in (path, *path.parents):
        try:
            stat = os.statvfs(where)
        except FileNotFoundError:
            continue
        return stat.f_bavail * stat.f_frsize
    raise FileNotFoundError(path)


def _size(n: int) -> str:
    return f"{n / MIB:.1f} MiB" if n >= MIB else f"{n} bytes"


class DiskGuard:
    """Which of ``places`` ({what: directory}) is short of ``min_free`` bytes, if any."""

    def __init__(self, places: dict[str, Path], min_free: int):
        self.places = places
        self.min_free = min_free
        self._short: str | None = None

    def problem(self) -> str | None:
        """Why a new run cannot start here now, or None."""
        found, short = None, None
        if self.min_free > 0:
            for what, path in self.places.items():
                free = free_bytes(path)
                if free < self.min_free:
                    short = what
                    found = (
                        f"no space left on the device holding {what} ({path}): "
                        f"{_size(free)} free, less than the {_size(self.min_free)} "
                        "ISHCD_MIN_FREE_BYTES asks for; new runs fail until space is freed"
                    )
                    break
        if short != self._short:  # one line in the server log per change, not per run
            if found is not None:
                log.error("%s", found)
            else:
                log.warning("disk space is back above ISHCD_MIN_FREE_BYTES: runs start again")
            self._short = short
        return found
