"""What the dashboard shows: each project the caller can see with its newest run."""

from __future__ import annotations

from dataclasses import dataclass

from ishcd.db import runs as runs_db
from ishcd.db.database import Connection
from ishcd.db.projects import ProjectRecord
from ishcd.db.runs import RunRecord
from ishcd.services import projects
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
