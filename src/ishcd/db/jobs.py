"""Queries on jobs."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection, Row
from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import jobs


class JobRecord(NamedTuple):
    id: str
    project_id: str
    machine_name: str
    name: str
    description: str | None
    script: str
    variables: list[dict[str, Any]]  # stored as JSON text
    timeout: int | None
    created: float
    changed: float
    labels: str = ""  # sorted, comma-joined: a run goes only to a runner with all of them
    retry: int = 0  # times a run that ends error goes back to the queue
    retry_only_lost: bool = False  # ... only when its runner was lost
    # What its runs leave behind, JSON text (``ishcd.outputs``); None: nothing.
    artifacts: str | None = None
    cache: str | None = None
    test_reports: str | None = None


_SELECT = sa.select(jobs)
check_columns(_SELECT, JobRecord._fields)
_VARIABLES = JobRecord._fields.index("variables")


def _job(row: Row) -> JobRecord:
    values = list(row)
    values[_VARIABLES] = json.loads(values[_VARIABLES])
    return JobRecord._make(values)


def _params(values: dict[str, Any]) -> dict[str, Any]:
    if "variables" in values:
        values = {**values, "variables": json.dumps(values["variables"])}
    return values


_INSERT = insert(jobs)
_IN_PROJECT = jobs.c.project_id == sa.bindparam("project_id")
_BY_ID = Query(_SELECT.where(_IN_PROJECT, jobs.c.id == sa.bindparam("ish")))
_BY_MACHINE_NAME = Query(_SELECT.where(_IN_PROJECT, jobs.c.machine_name == sa.bindparam("ish")))
_LIST = Query(
    _SELECT.where(_IN_PROJECT)
    .order_by(jobs.c.machine_name)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_DELETE = Query(sa.delete(jobs).where(jobs.c.id == sa.bindparam("id")))


async def insert_job(conn: Connection, job: JobRecord) -> None:
    await conn.execute(_INSERT, **_params(job._asdict()))


async def find_job(conn: Connection, project_id: str, ish: str, by_id: bool) -> JobRecord | None:
    row = await conn.fetch_one(
        _BY_ID if by_id else _BY_MACHINE_NAME, project_id=project_id, ish=ish
    )
    return None if row is None else _job(row)


async def list_jobs(conn: Connection, project_id: str, limit: int, offset: int) -> list[JobRecord]:
    rows = await conn.fetch_all(_LIST, project_id=project_id, limit=limit, offset=offset)
    return [_job(row) for row in rows]


async def update_job(conn: Connection, job_id: str, values: dict[str, Any]) -> None:
    stmt = (
        sa.update(jobs)
        .where(jobs.c.id == sa.bindparam("job_id"))
        .values({name: sa.bindparam(name) for name in values})
    )
    await conn.execute(Query(stmt), job_id=job_id, **_params(values))


async def delete_job(conn: Connection, job_id: str) -> None:
    await conn.execute(_DELETE, id=job_id)
