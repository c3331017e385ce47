"""Projects: named spaces of jobs, runs and members."""

from __future__ import annotations

import functools
import time
from typing import Any

from ishcd import exceptions, source
from ishcd.db import projects as projects_db
from ishcd.db import runs as runs_db
from ishcd.db.database import Connection
from ishcd.db.projects import MemberRecord, ProjectRecord
from ishcd.logstore import LogStore
from ishcd.services import access, audit, badges, ids, names
from ishcd.services.principal import Caller

# Machine names no project may have: the web UI's /projects/new sits where a
# project's page would be.
RESERVED = frozenset({"new"})


def _bad_machine_name() -> exceptions.ValidationFailed:
    return exceptions.ValidationFailed.one("machine_name", f"must be {ids.MACHINE_NAME_RULE}")


def _check_machine_name(machine_name: str) -> None:
    if not ids.valid_machine_name(machine_name):
        raise _bad_machine_name()
    if machine_name in RESERVED:
        raise exceptions.ValidationFailed.one(
            "machine_name", f"{machine_name!r} is reserved (a path of the web UI)"
        )


async def _taken(conn: Connection, machine_name: str) -> bool:
    return machine_name in RESERVED or await projects_db.machine_name_taken(conn, machine_name)


def check_retention(days: int | None, server_days: int) -> None:
    """A project keeps logs for less time than the server does, never longer."""
    if days is not None and server_days and days > server_days:
        raise exceptions.ValidationFailed.one(
            "log_retention_days",
            f"must be at most {server_days}, the server's log retention "
            "(ISHCD_LOG_RETENTION_DAYS), or null to use it",
        )


def check_source(repository: str | None, default_branch: str | None) -> None:
    """A repository is a git URL or a local path; never an option for git."""
    if repository is not None and not source.valid_repository(repository):
        raise exceptions.ValidationFailed.one(
            "repository", "must be a git URL (https://, ssh://, git@host:path, file://) or a path"
        )
    if default_branch is not None and not source.valid_ref(default_branch):
        raise exceptions.ValidationFailed.one("default_branch", "must be a git branch name")


async def create_project(
    conn: Connection,
    caller: Caller,
    *,
    name: str,
    machine_name: str | None,
    description: str | None,
    repository: str | None = None,
    default_branch: str = "main",
    log_retention_days: int | None = None,
    server_retention_days: int = 0,
) -> ProjectRecord:
    """Create a project; its creator becomes its admin."""
    access.require_account(caller)
    check_source(repository, default_branch)
    check_retention(log_retention_days, server_retention_days)
    if machine_name is not None:
        _check_machine_name(machine_name)
        if await projects_db.machine_name_taken(conn, machine_name):
            raise exceptions.Conflict(f"machine_name {machine_name!r} is taken")
    now = time.time()
    project = ProjectRecord(
        id=ids.new_id(),
        machine_name="",
        name=name,
        description=description,
        created_by=caller.user_id,
        created=now,
        changed=now,
        repository=repository,
        default_branch=default_branch,
        pipeline_count=0,
        log_retention_days=log_retention_days,
        badge_key=badges.new_key(),
    )

    async def insert(chosen: str) -> None:
        await projects_db.insert_project(conn, project._replace(machine_name=chosen))

    if machine_name is None:
        base = ids.slugify(name, fallback="project")
        taken = functools.partial(_taken, conn)
        machine_name = await names.insert_named(conn, base, taken, insert)
    else:
        await names.insert_as(insert, machine_name, f"machine_name {machine_name!r} is taken")
    project = project._replace(machine_name=machine_name)
    member = MemberRecord(
        id=ids.new_id(),
        project_id=project.id,
        user_id=caller.user_id,
        role="admin",
        invited_email=None,
        invitation_hash=None,
        invitation_expires=None,
        created=now,
        changed=now,
        username=caller.username,
    )
    await projects_db.insert_member(conn, member)
    await audit.record(conn, caller, "project.create", project=project, target=_target(project))
    return project


async def list_projects(
    conn: Connection, caller: Caller, limit: int, offset: int
) -> list[ProjectRecord]:
    """The projects the caller can see, by machine name."""
    if caller.project_id is not None:
        project = await projects_db.get_project(conn, caller.project_id)
        return [project] if project is not None and offset == 0 and limit > 0 else []
    user_id = None if caller.is_admin else caller.user_id
    return await projects_db.list_projects(conn, user_id, limit, offset)


async def get_project(conn: Connection, caller: Caller, project_ish: str) -> ProjectRecord:
    return await access.project_for(conn, caller, project_ish)


async def update_project(
    conn: Connection,
    caller: Caller,
    project_ish: str,
    changes: dict[str, Any],
    server_retention_days: int = 0,
) -> ProjectRecord:
    """Change name, machine name, description, source, log retention, public badges or
    artifact expiry (project admins)."""
    project = await access.project_for(conn, caller, project_ish, "admin")
    editable = (
        "name",
        "machine_name",
        "description",
        "repository",
        "default_branch",
        "log_retention_days",
        "public_badges",
        "artifacts_expire_in",
    )
    values = {k: v for k, v in changes.items() if k in editable}
    check_source(values.get("repository"), values.get("default_branch", "main"))
    check_retention(values.get("log_retention_days"), server_retention_days)
    for required in ("name", "machine_name", "default_branch", "public_badges"):
        if required in values and values[required] is None:
            raise exceptions.ValidationFailed.one(required, "must not be null")
    new_name = values.get("machine_name")
    if new_name is not None and new_name != project.machine_name:
        _check_machine_name(new_name)
        if await projects_db.machine_name_taken(conn, new_name):
            raise exceptions.Conflict(f"machine_name {new_name!r} is taken")
    if values:
        values["changed"] = time.time()
        try:
            await projects_db.update_project(conn, project.id, values)
        except exceptions.Duplicate as exc:
            raise exceptions.Conflict(f"machine_name {new_name!r} is taken") from exc
        details: dict[str, Any] = {"fields": sorted(set(values) - {"changed"})}
        if "public_badges" in values:  # who made a private project's status public, and when
            details["public_badges"] = bool(values["public_badges"])
        await audit.record(
            conn,
            caller,
            "project.update",
            project=project,
            target=_target(project),
            details=details,
        )
    return await access.project_for(conn, caller, project.id)


async def delete_project(
    conn: Connection, caller: Caller, project_ish: str, logs: LogStore, mirrors: source.Mirrors
) -> None:
    """Delete a project with its jobs, pipelines, runs, logs and mirror (no run may be active)."""
    project = await access.project_for(conn, caller, project_ish, "admin")
    active = await runs_db.count_active_in_project(conn, project.id)
    if active:
        raise exceptions.Conflict(
            f"project {project.machine_name!r} has {active} queued or running runs; "
            "cancel them first"
        )
    run_ids = await runs_db.ids_in_project(conn, project.id)
    await projects_db.delete_project(conn, project.id)
    await audit.record(conn, caller, "project.delete", project=project, target=_target(project))
    await logs.delete_many(conn, run_ids)
    conn.on_commit(lambda: mirrors.remove(project.id))


def _target(project: ProjectRecord) -> tuple[str, str, str]:
    return ("project", project.id, project.machine_name)
