"""What every page of a project shares: the project, the caller's role, its tabs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

from ishcd.db.projects import ProjectRecord
from ishcd.services import access
from ishcd.services.access import Role
from ishcd.services.sessions import WebSession
from ishcd.web.render import render
from ishcd.web.routing import server_of, session_of


@dataclass(frozen=True, slots=True)
class ProjectPage:
    session: WebSession
    project: ProjectRecord
    role: str  # the caller's role: read, write or admin

    @property
    def can_write(self) -> bool:
        return access.allows(self.role, "write")

    @property
    def is_admin(self) -> bool:
        return access.allows(self.role, "admin")

    @property
    def base(self) -> str:
        """The project's pages start here."""
        return f"/projects/{self.project.machine_name}"

    def render(self, request: Request, template: str, tab: str, **context: Any) -> Response:
        """``template`` (which extends project_base.html) with ``tab`` current."""
        return render(
            request,
            template,
            self.session,
            project=self.project,
            role=self.role,
            can_write=self.can_write,
            is_admin=self.is_admin,
            base=self.base,
            tab=tab,
            **context,
        )


async def open_project(request: Request, project_ish: str, need: Role = "read") -> ProjectPage:
    """The project a page is about, if the signed-in caller may ``need`` it (404/403)."""
    session = session_of(request)
    async with server_of(request).database.read() as conn:
        project, role = await access.project_and_role(conn, session.caller, project_ish, need)
    return ProjectPage(session, project, role)
