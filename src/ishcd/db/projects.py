"""Queries on projects and their members."""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection
from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import project_members, projects, users


class ProjectRecord(NamedTuple):
    id: str
    machine_name: str
    name: str
    description: str | None
    created_by: str | None
    created: float
    changed: float
    repository: str | None
    default_branch: str
    pipeline_count: int
    log_retention_days: int | None  # None: the server's setting
    badge_key: str | None = None  # None: not made yet
    public_badges: bool = False
    artifacts_expire_in: int | None = None  # seconds; None: the server's setting


class MemberRecord(NamedTuple):
    """A member, or an invitation (``user_id`` None) until it is accepted."""

    id: str
    project_id: str
    user_id: str | None
    role: str
    invited_email: str | None
    invitation_hash: str | None
    invitation_expires: float | None
    created: float
    changed: float
    username: str | None  # the member's account, joined


class LastAdminOf(NamedTuple):
    id: str
    machine_name: str


_SELECT = sa.select(projects)
check_columns(_SELECT, ProjectRecord._fields)
_INSERT = insert(projects)
_INSERT_MEMBER = insert(project_members)
_SELECT_MEMBER = sa.select(project_members, users.c.username).select_from(
    project_members.outerjoin(users, users.c.id == project_members.c.user_id)
)
check_columns(_SELECT_MEMBER, MemberRecord._fields)
_MEMBERS = Query(
    _SELECT_MEMBER.where(project_members.c.project_id == sa.bindparam("project_id"))
    .order_by(project_members.c.created, project_members.c.id)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_MEMBER = Query(
    _SELECT_MEMBER.where(
        project_members.c.project_id == sa.bindparam("project_id"),
        project_members.c.id == sa.bindparam("id"),
    )
)
_MEMBER_OF_USER = Query(
    _SELECT_MEMBER.where(
        project_members.c.project_id == sa.bindparam("project_id"),
        project_members.c.user_id == sa.bindparam("user_id"),
    )
)
_INVITED = Query(
    sa.select(project_members.c.id).where(
        project_members.c.project_id == sa.bindparam("project_id"),
        project_members.c.user_id.is_(None),
        sa.func.lower(project_members.c.invited_email) == sa.func.lower(sa.bindparam("email")),
    )
)
_INVITATION = Query(_SELECT_MEMBER.where(project_members.c.invitation_hash == sa.bindparam("hash")))
_ADMINS = sa.and_(project_members.c.role == "admin", project_members.c.user_id.is_not(None))
_COUNT_ADMINS = Query(
    sa.select(sa.func.count())
    .select_from(project_members)
    .where(project_members.c.project_id == sa.bindparam("project_id"), _ADMINS)
)
_DELETE_MEMBER = Query(sa.delete(project_members).where(project_members.c.id == sa.bindparam("id")))
_others = project_members.alias("others")
_LAST_ADMIN_OF = Query(
    sa.select(projects.c.id, projects.c.machine_name)
    .join(project_members, project_members.c.project_id == projects.c.id)
    .where(project_members.c.user_id == sa.bindparam("user_id"), project_members.c.role == "admin")
    .where(
        ~sa.exists().where(
            _others.c.project_id == projects.c.id,
            _others.c.role == "admin",
            _others.c.user_id.is_not(None),
            _others.c.user_id != sa.bindparam("user_id"),
        )
    )
    .order_by(projects.c.machine_name)
)


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
_GET = Query(_SELECT.where(projects.c.id == sa.bindparam("id")))
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
    values = member._asdict()
    del values["username"]
    await conn.execute(_INSERT_MEMBER, **values)


async def list_members(
    conn: Connection, project_id: str, limit: int, offset: int
) -> list[MemberRecord]:
    rows = await conn.fetch_all(_MEMBERS, project_id=project_id, limit=limit, offset=offset)
    return [MemberRecord._make(row) for row in rows]


async def get_member(conn: Connection, project_id: str, member_id: str) -> MemberRecord | None:
    row = await conn.fetch_one(_MEMBER, project_id=project_id, id=member_id)
    return None if row is None else MemberRecord._make(row)


async def member_of_user(conn: Connection, project_id: str, user_id: str) -> MemberRecord | None:
    row = await conn.fetch_one(_MEMBER_OF_USER, project_id=project_id, user_id=user_id)
    return None if row is None else MemberRecord._make(row)


async def invited(conn: Connection, project_id: str, email: str) -> bool:
    """Whether someone with this email is invited (not yet a member)."""
    return await conn.fetch_one(_INVITED, project_id=project_id, email=email) is not None


async def member_by_invitation(conn: Connection, invitation_hash: str) -> MemberRecord | None:
    row = await conn.fetch_one(_INVITATION, hash=invitation_hash)
    return None if row is None else MemberRecord._make(row)


async def count_admins(conn: Connection, project_id: str) -> int:
    """Admins of a project with an account (invitations do not count)."""
    return int(await conn.fetch_value(_COUNT_ADMINS, project_id=project_id))


async def projects_where_last_admin(conn: Connection, user_id: str) -> list[LastAdminOf]:
    rows = await conn.fetch_all(_LAST_ADMIN_OF, user_id=user_id)
    return [LastAdminOf._make(row) for row in rows]


async def update_member(conn: Connection, member_id: str, values: dict[str, Any]) -> None:
    stmt = (
        sa.update(project_members)
        .where(project_members.c.id == sa.bindparam("member_id"))
        .values({name: sa.bindparam(name) for name in values})
    )
    await conn.execute(Query(stmt), member_id=member_id, **values)


async def delete_member(conn: Connection, member_id: str) -> None:
    await conn.execute(_DELETE_MEMBER, id=member_id)


async def find_project(
    conn: Connection, ish: str, user_id: str, by_id: bool
) -> tuple[ProjectRecord, str | None] | None:
    """The project with that id (or machine name) and ``user_id``'s role in it."""
    row = await conn.fetch_one(_BY_ID if by_id else _BY_MACHINE_NAME, ish=ish, user_id=user_id)
    if row is None:
        return None
    return ProjectRecord._make(row[:-1]), row[-1]


async def get_project(conn: Connection, project_id: str) -> ProjectRecord | None:
    row = await conn.fetch_one(_GET, id=project_id)
    return None if row is None else ProjectRecord._make(row)


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
