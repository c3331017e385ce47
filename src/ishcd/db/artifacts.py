"""Queries on artifacts: a run's kept files, by path, referring to blobs by sha256.

"The latest successful run" of a job on a branch is, among the runs that kept
artifacts for that job and branch, the ``complete`` one that finished last:
``latest`` answers with its file, and the expiry sweep never removes its files.
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection
from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import artifacts, projects, runs


class ArtifactRecord(NamedTuple):
    id: int
    run_id: str
    project_id: str
    job_name: str
    branch: str | None
    path: str
    size: int
    sha256: str
    content_type: str
    created: float
    expires: float | None  # None: kept for ever


_SELECT = sa.select(artifacts)
check_columns(_SELECT, ArtifactRecord._fields)

_INSERT = insert(artifacts, exclude=("id",))
_OF_RUN = artifacts.c.run_id == sa.bindparam("run_id")
_AT_PATH = artifacts.c.path == sa.bindparam("path")
_DELETE_PATH = Query(sa.delete(artifacts).where(_OF_RUN, _AT_PATH))
_GET = Query(_SELECT.where(_OF_RUN, _AT_PATH))
_LIST = Query(
    _SELECT.where(_OF_RUN)
    .order_by(artifacts.c.path)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
# What the run has kept besides ``path`` (which a new upload replaces).
_RUN_TOTAL = Query(
    sa.select(sa.func.coalesce(sa.func.sum(artifacts.c.size), 0)).where(
        _OF_RUN, artifacts.c.path != sa.bindparam("path")
    )
)
_PROJECT_EXPIRE_IN = Query(
    sa.select(projects.c.artifacts_expire_in).where(projects.c.id == sa.bindparam("project_id"))
)

_SUCCESS = "complete"
_joined = artifacts.join(runs, runs.c.id == artifacts.c.run_id)
_LATEST_WHERE = (
    artifacts.c.project_id == sa.bindparam("project_id"),
    artifacts.c.job_name == sa.bindparam("job_name"),
    _AT_PATH,
    runs.c.status == _SUCCESS,
)
_NEWEST_FIRST = (runs.c.finished.desc(), runs.c.seq.desc())
_LATEST = Query(
    _SELECT.select_from(_joined).where(*_LATEST_WHERE).order_by(*_NEWEST_FIRST).limit(1)
)
_LATEST_ON_BRANCH = Query(
    _SELECT.select_from(_joined)
    .where(*_LATEST_WHERE, artifacts.c.branch == sa.bindparam("branch"))
    .order_by(*_NEWEST_FIRST)
    .limit(1)
)


def _expired_ids() -> sa.ScalarSelect[int]:
    """Ids of up to ``limit`` artifacts past ``expires``, except those of the latest
    successful run (with artifacts) of their project, job and branch."""
    a, ra = artifacts.alias("a"), runs.alias("ra")
    b, rb = artifacts.alias("b"), runs.alias("rb")
    later_success = (
        sa.select(sa.literal(1))
        .select_from(b.join(rb, rb.c.id == b.c.run_id))
        .where(
            b.c.project_id == a.c.project_id,
            b.c.job_name == a.c.job_name,
            b.c.branch.is_not_distinct_from(a.c.branch),
            rb.c.status == _SUCCESS,
            sa.or_(
                rb.c.finished > ra.c.finished,
                sa.and_(rb.c.finished == ra.c.finished, rb.c.seq > ra.c.seq),
            ),
        )
        .exists()
    )
    latest_success = sa.and_(ra.c.status == _SUCCESS, ~later_success)
    return (
        sa.select(a.c.id)
        .select_from(a.join(ra, ra.c.id == a.c.run_id))
        .where(a.c.expires < sa.bindparam("now", type_=sa.Float), ~latest_success)
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .scalar_subquery()
    )


_DELETE_EXPIRED = Query(sa.delete(artifacts).where(artifacts.c.id.in_(_expired_ids())))


async def put_artifact(conn: Connection, record: ArtifactRecord) -> None:
    """Store ``record`` (its ``id`` is ignored), replacing the run's file at its path:
    an attempt of a run queued again sends its files again."""
    await conn.execute(_DELETE_PATH, run_id=record.run_id, path=record.path)
    values = record._asdict()
    del values["id"]
    await conn.execute(_INSERT, **values)


async def run_total(conn: Connection, run_id: str, besides: str) -> int:
    """Bytes of the run's artifacts, but the one at path ``besides``."""
    return int(await conn.fetch_value(_RUN_TOTAL, run_id=run_id, path=besides))


async def project_expire_in(conn: Connection, project_id: str) -> int | None:
    value = await conn.fetch_value(_PROJECT_EXPIRE_IN, project_id=project_id)
    return None if value is None else int(value)


async def get_artifact(conn: Connection, run_id: str, path: str) -> ArtifactRecord | None:
    row = await conn.fetch_one(_GET, run_id=run_id, path=path)
    return None if row is None else ArtifactRecord._make(row)


async def list_artifacts(
    conn: Connection, run_id: str, limit: int, offset: int
) -> list[ArtifactRecord]:
    """A run's artifacts, by path."""
    rows = await conn.fetch_all(_LIST, run_id=run_id, limit=limit, offset=offset)
    return [ArtifactRecord._make(row) for row in rows]


async def latest_artifact(
    conn: Connection, project_id: str, job_name: str, branch: str | None, path: str
) -> ArtifactRecord | None:
    """The file at ``path`` of the job's latest successful run that kept one (on
    ``branch``; None: on any branch)."""
    where = {"project_id": project_id, "job_name": job_name, "path": path}
    if branch is None:
        row = await conn.fetch_one(_LATEST, **where)
    else:
        row = await conn.fetch_one(_LATEST_ON_BRANCH, **where, branch=branch)
    return None if row is None else ArtifactRecord._make(row)


async def delete_expired(conn: Connection, now: float, limit: int) -> int:
    """Remove up to ``limit`` artifacts past their expiry (never those of the latest
    successful run of their job and branch); how many went."""
    return await conn.execute(_DELETE_EXPIRED, now=now, limit=limit)
