"""The queue: claiming runs, leases (heartbeats, fencing by attempt), putting runs back.

The database is the queue. ``claim_next`` is one atomic statement: on
PostgreSQL the inner select takes ``FOR UPDATE SKIP LOCKED`` so concurrent
claimers never wait on each other; on SQLite the write transaction around it
already excludes every other writer.
"""

from __future__ import annotations

import functools
import itertools

import sqlalchemy as sa

from ishcd.db.database import Connection
from ishcd.db.query import Query
from ishcd.db.tables import runs

MAX_RUNNER_LABELS = 8


@functools.lru_cache(maxsize=64)
def _claim_query(skip_locked: bool, labels: frozenset[str]) -> Query:
    """The claim statement for a runner with ``labels``.

    A run's labels (sorted, comma-joined) must be a subset of the runner's:
    the statement lists every subset, so the claim stays one statement. A
    run of a concurrency group waits while another of its group runs; a
    partial unique index catches the race of two claims at once.
    """
    if len(labels) > MAX_RUNNER_LABELS:
        raise ValueError(f"a runner has at most {MAX_RUNNER_LABELS} labels")
    ordered = sorted(labels)
    subsets = [
        ",".join(combo)
        for size in range(len(ordered) + 1)
        for combo in itertools.combinations(ordered, size)
    ]
    other = runs.alias("other")
    busy = sa.exists().where(
        other.c.project_id == runs.c.project_id,
        other.c.concurrency_group == runs.c.concurrency_group,
        other.c.status == "running",
    )
    oldest = (
        sa.select(runs.c.seq)
        .where(
            runs.c.status == "queued",
            sa.or_(*(runs.c.labels == subset for subset in subsets)),
            sa.or_(runs.c.concurrency_group.is_(None), ~busy),
        )
        .order_by(runs.c.seq)
        .limit(1)
    )
    if skip_locked:
        oldest = oldest.with_for_update(skip_locked=True, of=runs)
    stmt = (
        sa.update(runs)
        .where(runs.c.seq == oldest.scalar_subquery())
        .values(
            status="running",
            runner_id=sa.bindparam("runner_id"),
            started=sa.bindparam("now"),
            changed=sa.bindparam("now"),
            heartbeat=sa.bindparam("now"),
            attempt=runs.c.attempt + 1,
        )
        .returning(runs.c.id)
    )
    return Query(stmt)


_REQUEST_CANCEL = Query(
    sa.update(runs)
    .where(runs.c.id == sa.bindparam("id"), runs.c.status == "running")
    .values(cancel_requested=True)
)
_HEARTBEAT = Query(
    sa.update(runs)
    .where(
        runs.c.id == sa.bindparam("id"),
        runs.c.runner_id == sa.bindparam("runner_id"),
        runs.c.attempt == sa.bindparam("attempt"),
        runs.c.status == "running",
    )
    .values(heartbeat=sa.bindparam("now"))
    .returning(runs.c.cancel_requested)
)
_LEASE = Query(
    sa.select(runs.c.cancel_requested).where(
        runs.c.id == sa.bindparam("id"),
        runs.c.runner_id == sa.bindparam("runner_id"),
        runs.c.attempt == sa.bindparam("attempt"),
        runs.c.status == "running",
    )
)
_STALE = Query(
    sa.select(runs.c.id).where(
        runs.c.status == "running", runs.c.heartbeat < sa.bindparam("before")
    )
)
_HELD_BY_PREFIX = Query(
    sa.select(runs.c.id).where(
        runs.c.status == "running", runs.c.runner_id.startswith(sa.bindparam("prefix"))
    )
)


async def claim_next(
    conn: Connection, runner_id: str, now: float, labels: frozenset[str] = frozenset()
) -> str | None:
    """Move the oldest run ``runner_id`` may take to ``running``; its id, if any."""
    query = _claim_query(conn.dialect == "postgresql", labels)
    run_id: str | None = await conn.fetch_value(query, runner_id=runner_id, now=now)
    return run_id


async def request_cancel(conn: Connection, run_id: str) -> bool:
    return await conn.execute(_REQUEST_CANCEL, id=run_id) > 0


async def heartbeat(
    conn: Connection, run_id: str, runner_id: str, attempt: int, now: float
) -> bool | None:
    """Record that ``runner_id`` still runs ``attempt`` of ``run_id``.

    Returns whether cancel was requested, or None when the run is no longer
    this runner's to run (finished, given up as lost, or claimed again).
    """
    row = await conn.fetch_one(_HEARTBEAT, id=run_id, runner_id=runner_id, attempt=attempt, now=now)
    return None if row is None else bool(row[0])


_REQUEUE = Query(
    sa.update(runs)
    .where(
        runs.c.id == sa.bindparam("id"),
        runs.c.status == "running",
        runs.c.attempt == sa.bindparam("attempt"),
    )
    .values(
        status="queued",
        runner_id=None,
        heartbeat=None,
        started=None,
        changed=sa.bindparam("now"),
    )
)


async def requeue(conn: Connection, run_id: str, attempt: int, now: float) -> bool:
    """Running ``attempt`` of ``run_id`` back to ``queued``; False if it had moved on."""
    return await conn.execute(_REQUEUE, id=run_id, attempt=attempt, now=now) > 0


async def lease(conn: Connection, run_id: str, runner_id: str, attempt: int) -> bool | None:
    """Like ``heartbeat`` without writing: whether cancel was requested, None if not held."""
    row = await conn.fetch_one(_LEASE, id=run_id, runner_id=runner_id, attempt=attempt)
    return None if row is None else bool(row[0])


async def stale_running(conn: Connection, before: float) -> list[str]:
    """Running runs whose last heartbeat is older than ``before``."""
    return [row[0] for row in await conn.fetch_all(_STALE, before=before)]


async def running_held_by(conn: Connection, prefix: str) -> list[str]:
    return [row[0] for row in await conn.fetch_all(_HELD_BY_PREFIX, prefix=prefix)]
