"""What the dashboard and a project's Jobs tab show: projects and jobs with their newest run."""

from __future__ import annotations

from dataclasses import dataclass

from ishcd.db import runs as runs_db
from ishcd.db.database import Connection
from ishcd.db.jobs import JobRecord
from ishcd.db.projects import ProjectRecord
from ishcd.db.runs import RunRecord
from ishcd.services import jobs, projects
from ishcd.services.principal import Caller


@dataclass(frozen=True, slots=True)
class ProjectOverview:
    project: ProjectRecord
    latest_run: RunRecord | None


async def list_project_overviews(
    conn: Connection, caller: Caller, limit: int, offset: int
) -> list[ProjectOverview]:
    """A page of the caller's projects, each with its newest run (one lookup each)."""
    found = await projects.list_projects(conn, caller, limit, offset)
    return [ProjectOverview(p, await runs_db.latest_in_project(conn, p.id)) for p in found]


@dataclass(frozen=True, slots=True)
class JobOverview:
    job: JobRecord
    latest_run: RunRecord | None


async def list_job_overviews(
    conn: Connection, caller: Caller, project_ish: str, limit: int, offset: int
) -> tuple[ProjectRecord, list[JobOverview]]:
    """A page of a project's jobs (by machine name), each with its newest run: two
    statements for the whole page."""
    project, found = await jobs.list_jobs(conn, caller, project_ish, limit, offset)
    latest = await runs_db.latest_of_jobs(conn, [job.id for job in found])
    return project, [JobOverview(job, latest.get(job.id)) for job in found]
