"""Nothing is left running forever: runs whose runner is gone end ``runner_lost``.

At start, runs held by this server's embedded runner in an earlier life are
given up at once (that process is gone). After that, a reaper gives up any
run whose runner has not sent a heartbeat for ``runner_lost_after`` seconds.

Silence is only evidence while the database could take heartbeats: after an
outage seen by this process, the reaper waits a full ``runner_lost_after``
before it judges anyone again, so runners that retried through the outage
have a fair window to be heard. The reaper itself rides the outage out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from ishcd import exceptions
from ishcd.db.database import Database
from ishcd.logstore import LogStore
from ishcd.services import dispatch
from ishcd.services.runtime import Runtime

log = logging.getLogger(__name__)


async def _give_up(
    db: Database,
    logs: LogStore,
    runtime: Runtime,
    run_ids: list[str],
    why: str,
    silent_since: float | None = None,
) -> list[str]:
    if not run_ids:
        return []
    async with db.transaction() as conn:
        moved = await dispatch.give_up_runs(conn, runtime, run_ids, silent_since)
        # Before the commit: a reader never sees the run ended without its log's last
        # line (the log store may be the database, whose writes take turns with reads).
        for run_id, how in moved.items():
            # A run queued again says so where its next attempt starts (``LocalProtocol.claim``).
            if how == "ended":
                await logs.note(run_id, f"{why}: the run ended")
            await logs.close(run_id)
    for run_id in moved:
        runtime.signals.cancel.set(run_id)
    if moved:
        log.warning("%d runs given up as runner_lost: %s", len(moved), why)
    return list(moved)


async def recover_own_runs(
    db: Database, logs: LogStore, runtime: Runtime, runner_prefix: str
) -> list[str]:
    """Give up the runs an earlier process of this server was running."""
    async with db.read() as conn:
        held = await dispatch.runs_held_by(conn, runner_prefix)
    return await _give_up(db, logs, runtime, held, "the server restarted while it ran")


class Reaper:
    def __init__(self, db: Database, logs: LogStore, runtime: Runtime, lost_after: float):
        self.db = db
        self.logs = logs
        self.runtime = runtime
        self.lost_after = lost_after
        self._task: asyncio.Task[None] | None = None
        self._unavailable = False

    async def reap_once(self) -> list[str]:
        since = time.time() - self.lost_after
        if self.db.last_unavailable >= since:
            return []  # heartbeats may have failed to reach the database: not a runner's fault
        async with self.db.read() as conn:
            stale = await dispatch.stale_runs(conn, since)
        why = "its runner stopped sending heartbeats"
        return await _give_up(self.db, self.logs, self.runtime, stale, why, since)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        every = max(0.5, self.lost_after / 4)
        while True:
            await asyncio.sleep(every)
            try:
                await self.reap_once()
            except exceptions.Unavailable:
                if not self._unavailable:
                    log.warning("reaping lost runs: the database is unavailable; trying again")
                self._unavailable = True
                continue
            except Exception:
                log.exception("reaping lost runs failed; trying again later")
            self._unavailable = False

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
