"""Queries on projects and their members."""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection
from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import project_members, projects


class ProjectRecord(NamedTuple):
    id: str
    machine_name: str
    name: str
    description: str | None
    created_by: str | None
    created: float
    changed: float


class MemberRecord(NamedTuple):
    id: str
    project_id: str
    user_id: str
    role: str
    created: float
    changed: float


_SELECT = sa.select(projects)
check_columns(_SELECT, ProjectRecord._fields)
_INSERT = insert(projects)
_INSERT_MEMBER = insert(project_members)


def _with_role(where: sa.ColumnElement[bool]) -> Query:
    """A project by a condition, and the caller's role in it (NULL when not a member)."""
    join = projects.outerjoin(
        project_members,
        sa.and_(
            project_members.c.project_id == projects.c.id,
            project_members.c.user_id == sa.bindparam("user_id"),
        ),
    )
    return Query(_SELECT.add_columns(project_members.c.role).select_from(join).where(where))


_BY_ID = _with_role(projects.c.id == sa.bindparam("ish"))
_BY_MACHINE_NAME = _with_role(projects.c.machine_name == sa.bindparam("ish"))
_MACHINE_NAME_TAKEN = Query(
    sa.select(projects.c.id).where(projects.c.machine_name == sa.bindparam("machine_name"))
)
_LIST_ALL = Query(
    _SELECT.order_by(projects.c.machine_name)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_LIST_FOR_USER = Query(
    _SELECT.join(project_members, project_members.c.project_id == projects.c.id)
    .where(project_members.c.user_id == sa.bindparam("user_id"))
    .order_by(projects.c.machine_name)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_DELETE = Query(sa.delete(projects).where(projects.c.id == sa.bindparam("id")))


async def insert_project(conn: Connection, project: ProjectRecord) -> None:
    await conn.execute(_INSERT, **project._asdict())


async def insert_member(conn: Connection, member: MemberRecord) -> None:
    await conn.execute(_INSERT_MEMBER, **member._asdict())


async def find_project(
    conn: Connection, ish: str, user_id: str, by_id: bool
) -> tuple[ProjectRecord, str | None] | None:
    """The project with that id (or machine name) and ``user_id``'s role in it."""
    row = await conn.fetch_one(_BY_ID if by_id else _BY_MACHINE_NAME, ish=ish, user_id=user_id)
    if row is None:
        return None
    return ProjectRecord._make(row[:-1]), row[-1]


async def machine_name_taken(conn: Connection, machine_name: str) -> bool:
    return await conn.fetch_one(_MACHINE_NAME_TAKEN, machine_name=machine_name) is not None


async def list_projects(
    conn: Connection, user_id: str | None, limit: int, offset: int
) -> list[ProjectRecord]:
    """Projects by machine name; only ``user_id``'s memberships unless it is None."""
    if user_id is None:
        rows = await conn.fetch_all(_LIST_ALL, limit=limit, offset=offset)
    else:
        rows = await conn.fetch_all(_LIST_FOR_USER, user_id=user_id, limit=limit, offset=offset)
    return [ProjectRecord._make(row) for row in rows]


async def update_project(conn: Connection, project_id: str, values: dict[str, Any]) -> None:
    stmt = (
        sa.update(projects)
        .where(projects.c.id == sa.bindparam("project_id"))
        .values({name: sa.bindparam(name) for name in values})
    )
    await conn.execute(Query(stmt), project_id=project_id, **values)


async def delete_project(conn: Connection, project_id: str) -> None:
    await conn.execute(_DELETE, id=project_id)
