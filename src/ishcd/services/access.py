"""Who may see and do what in a project.

Roles rank ``read`` < ``write`` < ``admin``; site admins may do everything.
A project the caller may not see is reported exactly like a missing one.
"""

from __future__ import annotations

from typing import Literal

from ishcd import exceptions
from ishcd.db import jobs as jobs_db
from ishcd.db import projects as projects_db
from ishcd.db.database import Connection
from ishcd.db.jobs import JobRecord
from ishcd.db.projects import ProjectRecord
from ishcd.services import ids
from ishcd.services.principal import Caller

Role = Literal["read", "write", "admin"]
ROLES: tuple[Role, ...] = ("read", "write", "admin")
_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}


def rank(role: str) -> int:
    return _RANK.get(role, -1)


def allows(role: str | None, need: Role) -> bool:
    return role is not None and rank(role) >= _RANK[need]


PROJECT_TOKEN_ONLY = "a project token can only be used on its own project"


def require_account(caller: Caller) -> None:
    """Refuse project tokens: this is about an account, not a project."""
    if caller.is_project_token:
        raise exceptions.Forbidden(PROJECT_TOKEN_ONLY)


def require_site_admin(caller: Caller) -> None:
    if caller.is_project_token:
        raise exceptions.Forbidden(PROJECT_TOKEN_ONLY)
    if not caller.is_admin:
        raise exceptions.Forbidden("only site admins may do this")


def role_in(caller: Caller, project_id: str, member_role: str | None) -> str | None:
    """The caller's effective role in a project (``member_role``: its membership's)."""
    if caller.is_project_token:
        return caller.project_role if project_id == caller.project_id else None
    if caller.is_admin:
        return "admin"
    return member_role


async def project_for(
    conn: Connection, caller: Caller, project_ish: str, need: Role = "read"
) -> ProjectRecord:
    """The project named by id or machine name, if ``caller`` may ``need`` it."""
    project, _role = await project_and_role(conn, caller, project_ish, need)
    return project


async def project_and_role(
    conn: Connection, caller: Caller, project_ish: str, need: Role = "read"
) -> tuple[ProjectRecord, str]:
    """The project, as ``project_for``, and the caller's role in it (what a page may offer)."""
    found = await projects_db.find_project(
        conn, project_ish, caller.user_id, by_id=ids.looks_like_uuid(project_ish)
    )
    if found is None:
        raise exceptions.NotFound(f"project {project_ish!r} not found")
    project, member_role = found
    role = role_in(caller, project.id, member_role)
    if role is None:
        raise exceptions.NotFound(f"project {project_ish!r} not found")
    if not allows(role, need):
        raise exceptions.Forbidden(
            f"your role in project {project.machine_name!r} is {role!r}; this needs {need!r}"
        )
    return project, role


async def job_in(conn: Connection, project: ProjectRecord, job_ish: str) -> JobRecord:
    job = await jobs_db.find_job(conn, project.id, job_ish, by_id=ids.looks_like_uuid(job_ish))
    if job is None:
        raise exceptions.NotFound(f"job {job_ish!r} not found in project {project.machine_name!r}")
    return job


async def job_for(
    conn: Connection, caller: Caller, project_ish: str, job_ish: str, need: Role = "read"
) -> tuple[ProjectRecord, JobRecord]:
    project = await project_for(conn, caller, project_ish, need)
    return project, await job_in(conn, project, job_ish)
