"""The two ways a run stops: it ends (``end_run``), or it is told to (``stop_run``).

Every run that ends goes through ``end_run``, whoever noticed (its runner,
a cancel, the reaper, a claim that could not open its secrets), so that a
pipeline job's workflow moves on in the same transaction.
"""

from __future__ import annotations

from typing import Literal

from ishcd.db import pipelines as pipelines_db
from ishcd.db import run_queue
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


# Reasons a stored job's ``retry`` puts a run back in the queue for (``runner_lost``
# always; the others unless ``retry_only_lost``): not a cancel, nor a run that
# could not be set up (its next attempt would fail the same way).
RETRIED: frozenset[str] = frozenset({"runner_lost", "failed", "timed_out"})


def should_retry(run: RunRecord, reason: run_state.Reason | None) -> bool:
    """Whether ``run``'s current attempt, ending with ``reason``, earns another."""
    if reason not in RETRIED or run.cancel_requested or run.attempt > run.retry:
        return False
    return reason == "runner_lost" or not run.retry_only_lost


async def end_attempt(
    conn: Connection,
    runtime: Runtime,
    run: RunRecord,
    to: Literal["complete", "error"],
    *,
    reason: run_state.Reason | None = None,
    exit_code: int | None = None,
    log_size: int | None = None,
) -> Literal["ended", "queued"] | None:
    """End the running ``run``'s current attempt: the run ends, or goes back to the
    queue when its ``retry`` says so. None if something else moved it first."""
    if to == run_state.ERROR and should_retry(run, reason):
        if not await run_state.requeue(conn, run):
            return None
        signals = runtime.signals
        conn.on_commit(signals.work.bump)
        conn.on_commit(lambda: signals.run.bump(run.id))
        return "queued"
    ended = await end_run(
        conn, runtime, run, to, reason=reason, exit_code=exit_code, log_size=log_size
    )
    return "ended" if ended else None


async def stop_run(conn: Connection, runtime: Runtime, run: RunRecord) -> RunRecord:
    """Cancel: a queued run ends at once, a running one is told to stop."""
    if run.status == run_state.QUEUED:
        if await end_run(conn, runtime, run, run_state.ERROR, reason="canceled"):
            return await _reread(conn, run.id)
        run = await _reread(conn, run.id)  # claimed meanwhile: cancel it running
    if run.status == run_state.RUNNING:
        await run_queue.request_cancel(conn, run.id)
        conn.on_commit(lambda: runtime.signals.cancel.set(run.id))
        return await _reread(conn, run.id)
    return run


async def _reread(conn: Connection, run_id: str) -> RunRecord:
    run = await runs_db.get_run(conn, run_id)
    assert run is not None  # runs are only deleted with their project or job
    return run
