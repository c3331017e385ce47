"""Queries of the retention sweep: finished runs whose log is past its retention.

A run's retention is its project's ``log_retention_days`` when set (never
longer than the server's), else the server's; 0 keeps logs for ever.
"""

from __future__ import annotations

import sqlalchemy as sa

from ishcd.db.database import Connection
from ishcd.db.query import Query
from ishcd.db.tables import projects, runs

DAY = 86400.0

_server = sa.bindparam("server_days", type_=sa.Integer)
_project = projects.c.log_retention_days
# The days a run of each project is kept: 0 for ever.
_DAYS = sa.case(
    (_project.is_(None), _server),
    (_server == 0, _project),
    (_project < _server, _project),
    else_=_server,
)
_EXPIRED = Query(
    sa.select(runs.c.id)
    .select_from(runs.join(projects, projects.c.id == runs.c.project_id))
    .where(
        runs.c.log_removed.is_(None),
        sa.or_(runs.c.status == "complete", runs.c.status == "error"),
        # The widest cutoff first, so the partial index on ``finished`` narrows the scan.
        runs.c.finished < sa.bindparam("before", type_=sa.Float),
        _DAYS > 0,
        runs.c.finished < sa.bindparam("now", type_=sa.Float) - _DAYS * DAY,
    )
    .order_by(runs.c.finished)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)
_SHORTEST = Query(
    sa.select(sa.func.min(projects.c.log_retention_days)).where(
        projects.c.log_retention_days.is_not(None)
    )
)
_MARK = Query(
    sa.update(runs)
    .where(runs.c.id == sa.bindparam("id"), runs.c.log_removed.is_(None))
    .values(log_removed=sa.bindparam("now", type_=sa.Float))
)
_STATE = Query(sa.select(runs.c.status, runs.c.log_removed).where(runs.c.id == sa.bindparam("id")))


async def expired_runs(conn: Connection, now: float, server_days: int, limit: int) -> list[str]:
    """Up to ``limit`` finished runs whose log is past its retention, oldest first."""
    shortest = await conn.fetch_value(_SHORTEST)
    candidates = [days for days in (server_days or None, shortest) if days]
    if not candidates:
        return []
    before = now - min(candidates) * DAY
    rows = await conn.fetch_all(
        _EXPIRED, now=now, before=before, server_days=server_days, limit=limit
    )
    return [row[0] for row in rows]


async def mark_log_removed(conn: Connection, run_id: str, now: float) -> bool:
    """Record that a run's log is gone; False if it was marked already."""
    return await conn.execute(_MARK, id=run_id, now=now) > 0


async def run_state(conn: Connection, run_id: str) -> tuple[str, float | None] | None:
    """A run's status and ``log_removed``; None if there is no such run."""
    row = await conn.fetch_one(_STATE, id=run_id)
    return None if row is None else (row[0], row[1])
