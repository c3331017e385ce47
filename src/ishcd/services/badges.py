"""Status badges: what a badge says, who may see it, and the project's badge key.

A badge is readable by whoever may read its project, by anyone who sends the
project's badge key (``?key=``: it grants this project's badges and nothing
else, so a README can show a private project's status without a token), and
by everyone when the project has ``public_badges``. Anyone else gets a 404,
as for a project that does not exist.
"""

from __future__ import annotations

import hmac
import secrets
from typing import NamedTuple
from urllib.parse import quote, urlencode

from ishcd import badge_svg, exceptions
from ishcd.db import badges as badges_db
from ishcd.db import projects as projects_db
from ishcd.db.database import Connection, Database
from ishcd.db.jobs import JobRecord
from ishcd.db.projects import ProjectRecord
from ishcd.services import access, audit, ids
from ishcd.services.principal import Caller

KEY_BYTES = 24  # 32 URL-safe characters
KEY_MAX = 128  # a longer ?key= is refused before it is compared
LABEL = "build"

# Every status a pipeline, a workflow or a run can have, and what its badge says.
# ``on_hold`` (an approval waiting) is not over yet: running.
PIPELINE_STATUS: dict[str, str] = {
    "queued": badge_svg.RUNNING,
    "running": badge_svg.RUNNING,
    "on_hold": badge_svg.RUNNING,
    "complete": badge_svg.PASSING,
    "error": badge_svg.FAILING,  # failed, canceled, timed out, a config error...
}
WORKFLOW_STATUS = PIPELINE_STATUS
RUN_STATUS: dict[str, str] = {
    "queued": badge_svg.RUNNING,
    "running": badge_svg.RUNNING,
    "complete": badge_svg.PASSING,
    "error": badge_svg.FAILING,  # failed, canceled, timed out, runner lost, setup failed
}


class Badge(NamedTuple):
    label: str
    status: str  # passing, failing, running or unknown


class Links(NamedTuple):
    """Where a project's badge is, and the Markdown that shows it linked to the project."""

    url: str
    markdown: str


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def _said(table: dict[str, str], status: str | None) -> str:
    return badge_svg.UNKNOWN if status is None else table.get(status, badge_svg.UNKNOWN)


def _key_fits(project: ProjectRecord, key: str | None) -> bool:
    if key is None or project.badge_key is None:
        return False
    return hmac.compare_digest(key.encode(), project.badge_key.encode())


async def _project_for_badge(
    conn: Connection, caller: Caller | None, project_ish: str, key: str | None
) -> ProjectRecord:
    """The project, if the badge may be shown to this caller (or key); else 404."""
    user_id = caller.user_id if caller is not None else ""
    found = await projects_db.find_project(
        conn, project_ish, user_id, by_id=ids.looks_like_uuid(project_ish)
    )
    missing = exceptions.NotFound(f"project {project_ish!r} not found")
    if found is None:
        raise missing
    project, member_role = found
    if bool(project.public_badges) or _key_fits(project, key):
        return project
    if caller is not None and access.allows(
        access.role_in(caller, project.id, member_role), "read"
    ):
        return project
    raise missing


async def project_badge(
    conn: Connection,
    caller: Caller | None,
    project_ish: str,
    *,
    key: str | None,
    branch: str | None,
    workflow: str | None,
) -> Badge:
    """The latest pipeline on ``branch`` (the default branch when None, which also has
    the pipelines triggered with no branch or tag); with ``workflow``, that workflow's
    status in the latest pipeline that has it."""
    project = await _project_for_badge(conn, caller, project_ish, key)
    branch = branch or project.default_branch
    default = branch == project.default_branch
    if workflow is None:
        status = await badges_db.latest_pipeline_status(conn, project.id, branch, default=default)
        return Badge(LABEL, _said(PIPELINE_STATUS, status))
    status = await badges_db.latest_workflow_status(
        conn, project.id, branch, workflow, default=default
    )
    return Badge(LABEL, _said(WORKFLOW_STATUS, status))


async def job_badge(
    conn: Connection, caller: Caller | None, project_ish: str, job_ish: str, *, key: str | None
) -> Badge:
    """The stored job's latest run, labelled with the job's name."""
    project = await _project_for_badge(conn, caller, project_ish, key)
    job: JobRecord = await access.job_in(conn, project, job_ish)
    status = await badges_db.latest_run_status(conn, job.id)
    return Badge(job.name, _said(RUN_STATUS, status))


async def ensure_key(db: Database, project: ProjectRecord) -> ProjectRecord:
    """The project with its badge key, made now if it has none yet (projects made
    before badges existed); one write the first time only."""
    if project.badge_key is not None:
        return project
    async with db.transaction() as conn:
        key = await badges_db.make_key(conn, project.id, new_key())
    return project._replace(badge_key=key)


async def rotate_key(conn: Connection, caller: Caller, project_ish: str) -> ProjectRecord:
    """Give the project a new badge key (project admins): the old one stops working."""
    project = await access.project_for(conn, caller, project_ish, "admin")
    key = new_key()
    await badges_db.set_key(conn, project.id, key)
    await audit.record(
        conn,
        caller,
        "project.badge_key.rotate",
        project=project,
        target=("project", project.id, project.machine_name),
    )
    return project._replace(badge_key=key)


def links(project: ProjectRecord, base_url: str) -> Links:
    """The badge's URL (with ``?key=`` unless badges are public) and its Markdown.

    URLs use the project's id, which never changes, so a README's badge keeps
    working when the project's machine name does."""
    base_url = base_url.rstrip("/")
    url = f"{base_url}/v1/projects/{quote(project.id)}/badge.svg"
    if not project.public_badges and project.badge_key is not None:
        url += "?" + urlencode({"key": project.badge_key})
    page = f"{base_url}/projects/{quote(project.id)}"
    return Links(url, f"[![{LABEL}]({url})]({page})")
