"""Project environment variables: secrets every run of the project receives.

Values are write-only: stored encrypted, listed as a hint (``xxxx`` and the
last 4 characters of values longer than 8), given to runs only.
"""

from __future__ import annotations

import time

from ishcd import exceptions
from ishcd.db import envvars as envvars_db
from ishcd.db.database import Connection
from ishcd.db.envvars import EnvvarRecord
from ishcd.services import access, audit, ids, variables
from ishcd.services import limits as limits_mod
from ishcd.services.limits import Limits
from ishcd.services.principal import Caller
from ishcd.vault import Vault, hint


def check_name(name: str, field: str = "name") -> None:
    if not variables.NAME.match(name):
        raise exceptions.ValidationFailed.one(field, "must be a shell variable name")
    if variables.is_reserved(name):
        raise exceptions.ValidationFailed.one(field, variables.RESERVED)


def check_value(value: str, limits: Limits = limits_mod.DEFAULT) -> None:
    if problem := variables.value_problem(value, limits):
        raise exceptions.ValidationFailed.one("value", problem)


async def list_envvars(
    conn: Connection, caller: Caller, project_ish: str, limit: int, offset: int
) -> list[EnvvarRecord]:
    project = await access.project_for(conn, caller, project_ish)
    return await envvars_db.list_envvars(conn, project.id, limit, offset)


async def get_envvar(conn: Connection, caller: Caller, project_ish: str, name: str) -> EnvvarRecord:
    project = await access.project_for(conn, caller, project_ish)
    found = await envvars_db.get_envvar(conn, project.id, name)
    if found is None:
        raise exceptions.NotFound(f"environment variable {name!r} not found")
    return found


async def set_envvar(
    conn: Connection,
    caller: Caller,
    project_ish: str,
    vault: Vault,
    name: str,
    value: str,
    limits: Limits = limits_mod.DEFAULT,
) -> EnvvarRecord:
    """Create the variable, or replace its value (project admins)."""
    project = await access.project_for(conn, caller, project_ish, "admin")
    check_name(name)
    check_value(value, limits)
    now = time.time()
    before = await envvars_db.get_envvar(conn, project.id, name)
    record = EnvvarRecord(
        id=before.id if before else ids.new_id(),
        project_id=project.id,
        name=name,
        value_encrypted=vault.encrypt(value),
        value_hint=hint(value),
        created=before.created if before else now,
        changed=now,
    )
    if before is None:
        await envvars_db.insert_envvar(conn, record)
    else:
        await envvars_db.replace_envvar(conn, record)
    action = "envvar.create" if before is None else "envvar.update"
    await audit.record(conn, caller, action, project=project, target=("envvar", record.id, name))
    return record


async def delete_envvar(conn: Connection, caller: Caller, project_ish: str, name: str) -> None:
    project = await access.project_for(conn, caller, project_ish, "admin")
    found = await envvars_db.get_envvar(conn, project.id, name)
    if found is None or not await envvars_db.delete_envvar(conn, project.id, name):
        raise exceptions.NotFound(f"environment variable {name!r} not found")
    target = ("envvar", found.id, name)
    await audit.record(conn, caller, "envvar.delete", project=project, target=target)
