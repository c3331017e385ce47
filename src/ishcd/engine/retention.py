"""The retention sweep: logs and kept workspaces of old runs are deleted (and the
rows of web sessions that have ended).

Every ``every`` seconds, each server deletes the logs of finished runs past
their retention (``services.retention``) and then records it on the run. Files
go first, so a crash in between leaves a run that the next sweep finishes;
one server sweeps (``engine.leader``), though sweeping twice would change nothing;
the others sweep only their own kept workspaces (``shared=False``).
Workspaces kept (``ISHCD_KEEP_WORKSPACES``) go with their run's log.
Expired artifacts go too (``services.artifacts.sweep``), then the blobs nothing
refers to any more (those of deleted runs, jobs and projects as well).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
import uuid
from pathlib import Path

from ishcd import exceptions
from ishcd.blobstore import BlobStore
from ishcd.db.database import Database
from ishcd.logstore import LogStore
from ishcd.services import artifacts, retention, sessions

log = logging.getLogger(__name__)

SWEEP_EVERY = 600.0
BATCH = 500


def _run_dirs(runs_dir: Path) -> list[str]:
    if not runs_dir.is_dir():
        return []
    found = []
    for entry in runs_dir.iterdir():
        with contextlib.suppress(ValueError):
            if entry.is_dir() and str(uuid.UUID(entry.name)) == entry.name:
                found.append(entry.name)
    return found


class RetentionSweep:
    def __init__(
        self,
        db: Database,
        logs: LogStore,
        runs_dir: Path,
        server_days: int,
        every: float = SWEEP_EVERY,
        session_limits: sessions.Limits | None = None,
        shared: bool = True,
        blobs: BlobStore | None = None,
    ):
        self.db = db
        self.logs = logs
        self.runs_dir = runs_dir
        self.server_days = server_days
        self.every = every
        self.session_limits = session_limits
        # False: only this server's own kept workspaces (a replica that does not lead).
        self.shared = shared
        self.blobs = blobs  # None: no artifacts to sweep (a store of its own in tests)
        self._task: asyncio.Task[None] | None = None

    async def sweep_once(self, now: float | None = None) -> list[str]:
        """Delete what is past its retention; the runs whose logs were deleted."""
        now = time.time() if now is None else now
        removed: list[str] = []
        while self.shared:
            async with self.db.read() as conn:
                expired = await retention.expired_logs(conn, now, self.server_days, BATCH)
            if not expired:
                break
            async with self.db.transaction() as conn:
                await self.logs.delete_many(conn, expired)
            async with self.db.transaction() as conn:
                removed += await retention.mark_logs_removed(conn, expired, now)
            if len(expired) < BATCH:
                break
        workspaces = await self._sweep_workspaces()
        if self.shared and self.blobs is not None:
            gone, freed = await artifacts.sweep(self.db, self.blobs, now)
            if gone or freed:
                log.info("retention: removed %d expired artifacts, freed %d blobs", gone, freed)
        if self.shared and self.session_limits is not None:
            # Ended sessions are refused anyway; this only keeps the table small.
            async with self.db.transaction() as conn:
                await sessions.sweep_sessions(conn, self.session_limits, now)
        if removed or workspaces:
            log.info(
                "retention: deleted the logs of %d runs and %d workspaces",
                len(removed),
                workspaces,
            )
        return removed

    async def _sweep_workspaces(self) -> int:
        names = await asyncio.to_thread(_run_dirs, self.runs_dir)
        doomed = []
        for run_id in names:
            async with self.db.read() as conn:
                if await retention.workspace_removable(conn, run_id):
                    doomed.append(self.runs_dir / run_id)
        for path in doomed:
            await asyncio.to_thread(shutil.rmtree, path, True)
        return len(doomed)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except exceptions.Unavailable:
                log.warning("the retention sweep: the database is unavailable; trying again later")
            except Exception:
                log.exception("the retention sweep failed; trying again later")
            await asyncio.sleep(self.every)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
