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


def allows(role: str | None, need: Role) -> bool:
    return role is not None and _RANK.get(role, -1) >= _RANK[need]


async def project_for(
    conn: Connection, caller: Caller, project_ish: str, need: Role = "read"
) -> ProjectRecord:
    """The project named by id or machine name, if ``caller`` may ``need`` it."""
    found = await projects_db.find_project(
        conn, project_ish, caller.user_id, by_id=ids.looks_like_uuid(project_ish)
    )
    if found is None:
        raise exceptions.NotFound(f"project {project_ish!r} not found")
    project, role = found
    if caller.is_admin:
        return project
    if role is None:
        raise exceptions.NotFound(f"project {project_ish!r} not found")
    if not allows(role, need):
        raise exceptions.Forbidden(
            f"your role in project {project.machine_name!r} is {role!r}; this needs {need!r}"
        )
    return project


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
