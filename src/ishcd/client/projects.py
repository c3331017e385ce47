"""Projects through the API: ``client.projects()`` and ``client.projects("my-corp")``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import overload

from ishcd.client.audit import Audit
from ishcd.client.jobs import JobHandle, Jobs
from ishcd.client.members import MemberHandle, Members
from ishcd.client.models import Project
from ishcd.client.pipelines import ProjectPipelines
from ishcd.client.project_tokens import ProjectTokenHandle, ProjectTokens
from ishcd.client.runs import ProjectRuns
from ishcd.client.secrets import EnvvarHandle, Envvars
from ishcd.client.transport import Transport, segment

ProjectList = list[Project]


class Projects:
    """The projects you can see."""

    def __init__(self, transport: Transport):
        self._transport = transport

    def list(self, *, page: int | None = None, per_page: int | None = None) -> ProjectList:
        """One page of projects, by machine name."""
        items = self._transport.items("/v1/projects", {"page": page, "per_page": per_page})
        return [Project.from_json(item) for item in items]

    def iter_all(self, *, per_page: int = 100) -> Iterator[Project]:
        """Every project, fetching page after page as needed."""
        for items in self._transport.pages("/v1/projects", {"per_page": per_page}):
            yield from (Project.from_json(item) for item in items)

    def create(
        self,
        name: str,
        *,
        machine_name: str | None = None,
        description: str | None = None,
        repository: str | None = None,
        default_branch: str | None = None,
        log_retention_days: int | None = None,
    ) -> Project:
        """Create a project; you become its admin.

        ``machine_name`` (used in URLs) is made from ``name`` when absent.
        ``repository`` (a git URL or a path on the server) is where its
        pipelines' code and ``.ishcd.yml`` come from. ``log_retention_days``
        (at most the server's) keeps finished runs' logs that long; absent: the
        server's setting.
        """
        body: dict[str, object] = {"name": name, "machine_name": machine_name}
        body["description"] = description
        if repository is not None:
            body["repository"] = repository
        if default_branch is not None:
            body["default_branch"] = default_branch
        if log_retention_days is not None:
            body["log_retention_days"] = log_retention_days
        return Project.from_json(self._transport.json("POST", "/v1/projects", json=body))


class ProjectHandle:
    """One project, by id or machine name ("project-ish")."""

    def __init__(self, transport: Transport, project: str):
        self.ish = project
        self._transport = transport
        self.path = f"/v1/projects/{segment(project)}"

    def __repr__(self) -> str:
        return f"ProjectHandle({self.ish!r})"

    def get(self) -> Project:
        """Read the project."""
        return Project.from_json(self._transport.json("GET", self.path))

    def update(self, **fields: object) -> Project:
        """Change ``name``, ``machine_name``, ``description``, ``repository``,
        ``default_branch``, ``log_retention_days``, ``public_badges`` or
        ``artifacts_expire_in``; only the fields given."""
        return Project.from_json(self._transport.json("PATCH", self.path, json=fields))

    def rotate_badge_key(self) -> dict[str, str]:
        """A new badge key (project admins): ``{"key", "url", "markdown"}``; the old
        key stops working at once."""
        found: dict[str, str] = self._transport.json("POST", f"{self.path}/badge-key")
        return found

    def delete(self) -> None:
        """Delete the project with its jobs, runs and logs (none may be queued or running)."""
        self._transport.request("DELETE", self.path)

    @overload
    def jobs(self) -> Jobs: ...

    @overload
    def jobs(self, job: str) -> JobHandle: ...

    def jobs(self, job: str | None = None) -> Jobs | JobHandle:
        """The project's jobs, or with ``job`` (id or machine name) that one job."""
        if job is None:
            return Jobs(self._transport, self.path)
        return JobHandle(self._transport, self.path, job)

    def runs(self) -> ProjectRuns:
        """The runs of all the project's jobs, newest first."""
        return ProjectRuns(self._transport, self.path + "/runs")

    def pipelines(self) -> ProjectPipelines:
        """The project's pipelines: trigger one, list them, read one by number."""
        return ProjectPipelines(self._transport, self.path)

    @overload
    def members(self) -> Members: ...

    @overload
    def members(self, member_id: str) -> MemberHandle: ...

    def members(self, member_id: str | None = None) -> Members | MemberHandle:
        """The project's members, or with ``member_id`` that member
        (``members().find(name)`` finds one by user name or e-mail address)."""
        if member_id is None:
            return Members(self._transport, self.path)
        return MemberHandle(self._transport, self.path, member_id)

    @overload
    def tokens(self) -> ProjectTokens: ...

    @overload
    def tokens(self, token_id: str) -> ProjectTokenHandle: ...

    def tokens(self, token_id: str | None = None) -> ProjectTokens | ProjectTokenHandle:
        """The project's tokens, or with ``token_id`` that token."""
        if token_id is None:
            return ProjectTokens(self._transport, self.path)
        return ProjectTokenHandle(self._transport, self.path, token_id)

    @overload
    def envvars(self) -> Envvars: ...

    @overload
    def envvars(self, name: str) -> EnvvarHandle: ...

    def envvars(self, name: str | None = None) -> Envvars | EnvvarHandle:
        """The project's env vars, or with ``name`` that one."""
        if name is None:
            return Envvars(self._transport, self.path)
        return EnvvarHandle(self._transport, self.path, name)

    def audit(self) -> Audit:
        """The project's audit log (project admins)."""
        return Audit(self._transport, self.path + "/audit")
