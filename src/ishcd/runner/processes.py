"""Finding and ending a run's processes: by process group, and by ``ISHCD_RUN_ID``.

Every run's script leads a process group of its own. A process that left the
group (``setsid``) still carries the run's id in its environment, so it is
found by scanning ``/proc``; matching on the id means a recycled process id
is never hit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from pathlib import Path

RUN_ID_VARIABLE = b"ISHCD_RUN_ID="


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def kill_processes_of(run_ids: set[str]) -> int:
    """SIGKILL every process whose environment names one of ``run_ids``; how many."""
    killed = 0
    for pid, run_id in _processes_by_run():
        if run_id in run_ids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
    return killed


def kill_leftovers(work_dir: Path) -> list[str]:
    """Kill what runs of a previous runner process left behind; remove their dirs.

    Returns the run ids cleaned up.
    """
    if not work_dir.is_dir():
        return []
    run_ids = {path.name for path in work_dir.iterdir() if path.is_dir()}
    if run_ids:
        kill_processes_of(run_ids)
    for run_id in run_ids:
        shutil.rmtree(work_dir / run_id, ignore_errors=True)
    return sorted(run_ids)


def _processes_by_run() -> list[tuple[int, str]]:
    """(pid, ISHCD_RUN_ID) of every process we can see that has one (Linux /proc)."""
    found: list[tuple[int, str]] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for item in (entry / "environ").read_bytes().split(b"\0"):
                if item.startswith(RUN_ID_VARIABLE):
                    found.append((int(entry.name), item[len(RUN_ID_VARIABLE) :].decode()))
                    break
    return found
