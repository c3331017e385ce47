"""Run statuses and the one place a run's status changes.

``queued`` -> ``running`` -> ``complete`` | ``error``; a queued run may also
end ``error`` (canceled). Every change goes through ``move`` (or, for
queued -> running, the claim statement), which checks this table and updates
only if the run is still in the status it was read in.
"""

from __future__ import annotations

import time
from typing import Final, Literal

from ishcd import exceptions
from ishcd.db import run_queue
from ishcd.db import runs as runs_db
from ishcd.db.database import Connection
from ishcd.db.runs import RunRecord

Status = Literal["queued", "running", "complete", "error"]
Reason = Literal["failed", "canceled", "timed_out", "runner_lost", "setup_failed"]

QUEUED: Final = "queued"
RUNNING: Final = "running"
COMPLETE: Final = "complete"
ERROR: Final = "error"
STATUSES: tuple[Status, ...] = (QUEUED, RUNNING, COMPLETE, ERROR)
FINISHED: frozenset[str] = frozenset({COMPLETE, ERROR})
REASONS: tuple[Reason, ...] = ("failed", "canceled", "timed_out", "runner_lost", "setup_failed")

ALLOWED: dict[str, frozenset[str]] = {
    QUEUED: frozenset({RUNNING, ERROR}),
    RUNNING: frozenset({COMPLETE, ERROR, QUEUED}),  # queued again: its retry
    COMPLETE: frozenset(),
    ERROR: frozenset(),
}


def check(current: str, to: str) -> None:
    if to not in ALLOWED.get(current, frozenset()):
        raise exceptions.InvalidTransition(f"a {current} run cannot become {to}")


async def finish(
    conn: Connection,
    run: RunRecord,
    to: Literal["complete", "error"],
    *,
    reason: Reason | None = None,
    exit_code: int | None = None,
    log_size: int | None = None,
) -> bool:
    """End ``run``; False if it had already moved on (someone else ended it)."""
    check(run.status, to)
    if (to == ERROR) != (reason is not None):
        raise ValueError("an error needs a reason, and only an error has one")
    now = time.time()
    return await runs_db.set_status(
        conn,
        run.id,
        expected=run.status,
        status=to,
        now=now,
        fields={
            "finished": now,
            "error_reason": reason,
            "exit_code": exit_code,
            "log_size": log_size,
        },
    )


async def requeue(conn: Connection, run: RunRecord) -> bool:
    """Put a running run back in the queue for its next attempt; False if it moved on.

    Only the attempt that was current when ``run`` was read is put back.
    """
    check(run.status, QUEUED)
    return await run_queue.requeue(conn, run.id, run.attempt, time.time())


# The claim statement (db.runs.claim_next) is the queued -> running move.
check(QUEUED, RUNNING)
