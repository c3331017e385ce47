"""The two ways a run stops: it ends (``end_run``), or it is told to (``stop_run``).

Every run that ends goes through ``end_run``, whoever noticed (its runner,
a cancel, the reaper, a claim that could not open its secrets), so that a
pipeline job's workflow moves on in the same transaction.
"""

from __future__ import annotations

from typing import Literal

from ishcd.db import pipelines as pipelines_db
from ishcd.db import runs as runs_db
from ishcd.db.database import Connection
from ishcd.db.runs import RunRecord
from ishcd.services import run_state, workflows
from ishcd.services.runtime import Runtime


async def end_run(
    conn: Connection,
    runtime: Runtime,
    run: RunRecord,
    to: Literal["complete", "error"],
    *,
    reason: run_state.Reason | None = None,
    exit_code: int | None = None,
    log_size: int | None = None,
) -> bool:
    """End ``run`` (see ``run_state.finish``); False if something else ended it first."""
    if run.origin is not None:  # a pipeline job: its pipeline first, always in that order
        await pipelines_db.lock_pipeline(conn, run.origin["pipeline"]["id"])
    ended = await run_state.finish(
        conn, run, to, reason=reason, exit_code=exit_code, log_size=log_size
    )
    if ended:
        conn.on_commit(lambda: runtime.signals.run.close(run.id))
        if run.workflow_job_id is not None:
            await workflows.run_ended(conn, runtime, run, to, reason)
    return ended


async def stop_run(conn: Connection, runtime: Runtime, run: RunRecord) -> RunRecord:
    """Cancel: a queued run ends at once, a running one is told to stop."""
    if run.status == run_state.QUEUED:
        if await end_run(conn, runtime, run, run_state.ERROR, reason="canceled"):
            return await _reread(conn, run.id)
        run = await _reread(conn, run.id)  # claimed meanwhile: cancel it running
    if run.status == run_state.RUNNING:
        await runs_db.request_cancel(conn, run.id)
        conn.on_commit(lambda: runtime.signals.cancel.set(run.id))
        return await _reread(conn, run.id)
    return run


async def _reread(conn: Connection, run_id: str) -> RunRecord:
    run = await runs_db.get_run(conn, run_id)
    assert run is not None  # runs are only deleted with their project or job
    return run
