"""Queries behind status badges: the latest pipeline, workflow or run, and badge keys."""

from __future__ import annotations

import sqlalchemy as sa

from ishcd.db.database import Connection
from ishcd.db.query import Query
from ishcd.db.tables import pipelines, projects, runs, workflows


def _on_branch(default: bool) -> sa.ColumnElement[bool]:
    """Pipelines of the branch; on the default branch, also those triggered with no
    branch or tag (an inline config with no repository: the API says they are the
    default branch's)."""
    named = pipelines.c.branch == sa.bindparam("branch")
    if not default:
        return named
    return sa.or_(named, sa.and_(pipelines.c.branch.is_(None), pipelines.c.tag.is_(None)))


def _latest_pipeline(default: bool) -> Query:
    # Promotions (follow-on pipelines, e.g. a deploy) are not a branch's build: a
    # badge names their workflows with ?workflow= instead.
    return Query(
        sa.select(pipelines.c.status)
        .where(
            pipelines.c.project_id == sa.bindparam("project_id"),
            _on_branch(default),
            pipelines.c.parent_id.is_(None),
        )
        .order_by(pipelines.c.number.desc())
        .limit(1)
    )


def _latest_workflow(default: bool) -> Query:
    """The latest pipeline on the branch that has a workflow of that name, and the
    latest run of that workflow in it (a rerun replaces what it reruns)."""
    return Query(
        sa.select(workflows.c.status)
        .select_from(workflows.join(pipelines, pipelines.c.id == workflows.c.pipeline_id))
        .where(
            pipelines.c.project_id == sa.bindparam("project_id"),
            _on_branch(default),
            workflows.c.name == sa.bindparam("workflow"),
        )
        .order_by(pipelines.c.number.desc(), workflows.c.created.desc(), workflows.c.id.desc())
        .limit(1)
    )


# {on the default branch: query}
_LATEST_PIPELINE = {default: _latest_pipeline(default) for default in (False, True)}
_LATEST_WORKFLOW = {default: _latest_workflow(default) for default in (False, True)}
_LATEST_RUN = Query(
    sa.select(runs.c.status)
    .where(runs.c.job_id == sa.bindparam("job_id"))
    .order_by(runs.c.seq.desc())
    .limit(1)
)
_SET_KEY = Query(
    sa.update(projects)
    .where(projects.c.id == sa.bindparam("id"))
    .values(badge_key=sa.bindparam("key"))
)
_MAKE_KEY = Query(
    sa.update(projects)
    .where(projects.c.id == sa.bindparam("id"), projects.c.badge_key.is_(None))
    .values(badge_key=sa.bindparam("key"))
)
_KEY = Query(sa.select(projects.c.badge_key).where(projects.c.id == sa.bindparam("id")))


async def latest_pipeline_status(
    conn: Connection, project_id: str, branch: str, *, default: bool
) -> str | None:
    """The status of the branch's latest pipeline (promotions aside); None: it has none.
    ``default``: the branch is the project's default one."""
    found = await conn.fetch_value(_LATEST_PIPELINE[default], project_id=project_id, branch=branch)
    return None if found is None else str(found)


async def latest_workflow_status(
    conn: Connection, project_id: str, branch: str, workflow: str, *, default: bool
) -> str | None:
    """The status of the named workflow in the branch's latest pipeline that has one."""
    found = await conn.fetch_value(
        _LATEST_WORKFLOW[default], project_id=project_id, branch=branch, workflow=workflow
    )
    return None if found is None else str(found)


async def latest_run_status(conn: Connection, job_id: str) -> str | None:
    """The status of a stored job's latest run; None: it never ran."""
    found = await conn.fetch_value(_LATEST_RUN, job_id=job_id)
    return None if found is None else str(found)


async def set_key(conn: Connection, project_id: str, key: str) -> None:
    await conn.execute(_SET_KEY, id=project_id, key=key)


async def make_key(conn: Connection, project_id: str, key: str) -> str:
    """Give the project ``key`` unless it has one already; the key it has now."""
    await conn.execute(_MAKE_KEY, id=project_id, key=key)
    return str(await conn.fetch_value(_KEY, id=project_id))
