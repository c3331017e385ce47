"""Retention: which runs' logs and workspaces have been kept long enough.

The run records stay; a run whose log was deleted says when (``log_removed``)
and reading its log answers 410 Gone.
"""

from __future__ import annotations

from ishcd.db import retention as retention_db
from ishcd.db import test_cases as test_cases_db
from ishcd.db.database import Connection
from ishcd.services import run_state


async def expired_logs(conn: Connection, now: float, server_days: int, limit: int) -> list[str]:
    """Finished runs whose log is past its project's (or the server's) retention."""
    return await retention_db.expired_runs(conn, now, server_days, limit)


async def mark_logs_removed(conn: Connection, run_ids: list[str], now: float) -> list[str]:
    """Record that these runs' logs are deleted; the ids not marked before.

    Their test cases go with the log (flaky detection and insights look back as
    far as logs are kept); each run keeps its test totals."""
    marked = [
        run_id for run_id in run_ids if await retention_db.mark_log_removed(conn, run_id, now)
    ]
    await test_cases_db.delete_of_runs(conn, marked)
    return marked


async def workspace_removable(conn: Connection, run_id: str) -> bool:
    """A kept workspace goes with its run's log, or with its run."""
    state = await retention_db.run_state(conn, run_id)
    if state is None:
        return True
    status, log_removed = state
    return status in run_state.FINISHED and log_removed is not None
