"""Jobs: stored, named shell scripts with declared variables."""

from __future__ import annotations

import functools
import json
import re
import time
from typing import Any

from ishcd import exceptions, outputs_config
from ishcd.db import jobs as jobs_db
from ishcd.db import run_queue
from ishcd.db import runs as runs_db
from ishcd.db.database import Connection
from ishcd.db.jobs import JobRecord
from ishcd.db.projects import ProjectRecord
from ishcd.logstore import LogStore
from ishcd.outputs import ArtifactsSpec, CacheSpec, Outputs
from ishcd.services import access, audit, ids, names, variables
from ishcd.services import limits as limits_mod
from ishcd.services.limits import Limits
from ishcd.services.principal import Caller
from ishcd.vault import Vault

EDITABLE = (
    "name",
    "machine_name",
    "description",
    "script",
    "variables",
    "timeout",
    "labels",
    "retry",
    "retry_only_lost",
    "artifacts",
    "cache",
    "test_reports",
)
OUTPUTS = ("artifacts", "cache", "test_reports")
LABEL = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
MAX_RETRY = 10


def check_labels(labels: list[str]) -> str:
    """A job's labels as stored (sorted, comma-joined), or a 422 naming the field."""
    for index, label in enumerate(labels):
        if not isinstance(label, str) or not LABEL.fullmatch(label):
            raise exceptions.ValidationFailed.one(
                f"labels.{index}", "must be 1 to 64 letters, digits, _ . : -"
            )
    unique = sorted(set(labels))
    if len(unique) > run_queue.MAX_RUNNER_LABELS:
        raise exceptions.ValidationFailed.one(
            "labels", f"at most {run_queue.MAX_RUNNER_LABELS} labels"
        )
    return ",".join(unique)


def check_outputs(values: dict[str, Any]) -> dict[str, str | None]:
    """The outputs fields in ``values`` (``artifacts``, ``cache``, ``test_reports``, as
    sent) checked, as stored (JSON text; None: none); a 422 naming every bad field."""
    stored: dict[str, str | None] = {}
    problems: list[exceptions.FieldError] = []
    for name in OUTPUTS:
        if name not in values:
            continue
        try:
            stored[name] = _stored(name, values[name])
        except outputs_config.OutputsInvalid as exc:
            problems.extend(exceptions.FieldError(p.path(name), p.message) for p in exc.problems)
    if len(problems) == 1:
        raise exceptions.ValidationFailed.one(problems[0].field, problems[0].message)
    if problems:
        raise exceptions.ValidationFailed.many("invalid outputs", problems)
    return stored


def _stored(name: str, value: Any) -> str | None:
    if name == "artifacts":
        artifacts = outputs_config.artifacts(value)
        return None if artifacts is None else json.dumps(artifacts.to_json())
    if name == "cache":
        cache = outputs_config.cache(value)
        return None if cache is None else json.dumps(cache.to_json())
    patterns = outputs_config.test_reports(value)
    return json.dumps(list(patterns)) if patterns else None


def outputs_of(job: JobRecord) -> Outputs:
    """What the job's runs leave behind, from its stored columns."""
    return Outputs(
        artifacts=None
        if job.artifacts is None
        else ArtifactsSpec.from_json(json.loads(job.artifacts)),
        cache=None if job.cache is None else CacheSpec.from_json(json.loads(job.cache)),
        test_reports=() if job.test_reports is None else tuple(json.loads(job.test_reports)),
    )


ENCRYPTED_DEFAULT = "encrypted_default"


def _bad_machine_name() -> exceptions.ValidationFailed:
    return exceptions.ValidationFailed.one("machine_name", f"must be {ids.MACHINE_NAME_RULE}")


async def _machine_name_taken(conn: Connection, project: ProjectRecord, name: str) -> bool:
    return await jobs_db.find_job(conn, project.id, name, by_id=False) is not None


async def create_job(
    conn: Connection,
    caller: Caller,
    project_ish: str,
    vault: Vault,
    *,
    name: str,
    machine_name: str | None,
    description: str | None,
    script: str,
    declared: list[dict[str, Any]],
    timeout: int | None,
    labels: list[str] | None = None,
    retry: int = 0,
    retry_only_lost: bool = False,
    outputs: dict[str, Any] | None = None,
    limits: Limits = limits_mod.DEFAULT,
) -> tuple[ProjectRecord, JobRecord]:
    """Create a job in a project (project admins); ``outputs`` holds its ``artifacts``,
    ``cache`` and ``test_reports`` as sent."""
    project = await access.project_for(conn, caller, project_ish, "admin")
    limits_mod.check_script(script, limits)
    stored_outputs = check_outputs(outputs or {})
    declared = seal_variables(vault, variables.check_declarations(declared, limits))
    taken_message = f"machine_name {machine_name!r} is taken in project {project.machine_name!r}"
    if machine_name is not None:
        if not ids.valid_machine_name(machine_name):
            raise _bad_machine_name()
        if await _machine_name_taken(conn, project, machine_name):
            raise exceptions.Conflict(taken_message)
    now = time.time()
    job = JobRecord(
        id=ids.new_id(),
        project_id=project.id,
        machine_name="",
        name=name,
        description=description,
        script=script,
        variables=declared,
        timeout=timeout,
        created=now,
        changed=now,
        labels=check_labels(labels or []),
        retry=retry,
        retry_only_lost=retry_only_lost,
        **stored_outputs,
    )

    async def insert(chosen: str) -> None:
        await jobs_db.insert_job(conn, job._replace(machine_name=chosen))

    if machine_name is None:
        base = ids.slugify(name, fallback="job")
        taken = functools.partial(_machine_name_taken, conn, project)
        machine_name = await names.insert_named(conn, base, taken, insert)
    else:
        await names.insert_as(insert, machine_name, taken_message)
    job = job._replace(machine_name=machine_name)
    await audit.record(conn, caller, "job.create", project=project, target=_target(job))
    return project, job


async def list_jobs(
    conn: Connection, caller: Caller, project_ish: str, limit: int, offset: int
) -> tuple[ProjectRecord, list[JobRecord]]:
    """A project's jobs, by machine name."""
    project = await access.project_for(conn, caller, project_ish)
    return project, await jobs_db.list_jobs(conn, project.id, limit, offset)


async def get_job(
    conn: Connection, caller: Caller, project_ish: str, job_ish: str
) -> tuple[ProjectRecord, JobRecord]:
    return await access.job_for(conn, caller, project_ish, job_ish)


def seal_variables(
    vault: Vault, declared: list[dict[str, Any]], before: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Declarations as stored: a secret variable's default is kept encrypted.

    A secret default sent back as ``***`` (as it was shown) keeps the value
    stored ``before``.
    """
    earlier = {item["name"]: item for item in before or []}
    sealed = []
    for item in declared:
        if not item["secret"] or item["default"] is None:
            sealed.append(item)
            continue
        previous = earlier.get(item["name"], {})
        if item["default"] == variables.MASK and previous.get(ENCRYPTED_DEFAULT):
            encrypted = previous[ENCRYPTED_DEFAULT]
        else:
            encrypted = vault.encrypt(item["default"])
        sealed.append({**item, "default": None, ENCRYPTED_DEFAULT: encrypted})
    return sealed


def open_variables(vault: Vault, stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Declarations with every default in clear, for resolving a run's env."""
    return [
        {**item, "default": vault.decrypt(item[ENCRYPTED_DEFAULT])}
        if item.get(ENCRYPTED_DEFAULT)
        else item
        for item in stored
    ]


async def update_job(
    conn: Connection,
    caller: Caller,
    project_ish: str,
    job_ish: str,
    vault: Vault,
    changes: dict[str, Any],
    limits: Limits = limits_mod.DEFAULT,
) -> tuple[ProjectRecord, JobRecord]:
    """Change a job (project admins); runs already created keep what they had."""
    project, job = await access.job_for(conn, caller, project_ish, job_ish, "admin")
    values = {k: v for k, v in changes.items() if k in EDITABLE}
    for required in ("name", "machine_name", "script", "variables"):
        if required in values and values[required] is None:
            raise exceptions.ValidationFailed.one(required, "must not be null")
    if "script" in values:
        limits_mod.check_script(values["script"], limits)
    for required in ("labels", "retry", "retry_only_lost"):
        if required in values and values[required] is None:
            raise exceptions.ValidationFailed.one(required, "must not be null")
    if "labels" in values:
        values["labels"] = check_labels(values["labels"])
    values.update(check_outputs(values))
    if "variables" in values:
        declared = variables.check_declarations(values["variables"], limits)
        values["variables"] = seal_variables(vault, declared, before=job.variables)
    new_name = values.get("machine_name")
    if new_name is not None and new_name != job.machine_name:
        if not ids.valid_machine_name(new_name):
            raise exceptions.ValidationFailed.one(
                "machine_name", f"must be {ids.MACHINE_NAME_RULE}"
            )
        if await _machine_name_taken(conn, project, new_name):
            raise exceptions.Conflict(
                f"machine_name {new_name!r} is taken in project {project.machine_name!r}"
            )
    if values:
        values["changed"] = time.time()
        try:
            await jobs_db.update_job(conn, job.id, values)
        except exceptions.Duplicate as exc:
            raise exceptions.Conflict(
                f"machine_name {new_name!r} is taken in project {project.machine_name!r}"
            ) from exc
        fields = sorted(set(values) - {"changed"})
        details = {"fields": fields}
        await audit.record(
            conn, caller, "job.update", project=project, target=_target(job), details=details
        )
    return project, await access.job_in(conn, project, job.id)


async def delete_job(
    conn: Connection, caller: Caller, project_ish: str, job_ish: str, logs: LogStore
) -> None:
    """Delete a job with its runs and logs; refused while runs are active."""
    project, job = await access.job_for(conn, caller, project_ish, job_ish, "admin")
    active = await runs_db.count_active_in_job(conn, job.id)
    if active:
        raise exceptions.Conflict(
            f"job {job.machine_name!r} has {active} queued or running runs; cancel them first"
        )
    run_ids = await runs_db.ids_in_job(conn, job.id)
    await jobs_db.delete_job(conn, job.id)
    await audit.record(conn, caller, "job.delete", project=project, target=_target(job))
    await logs.delete_many(conn, run_ids)


def _target(job: JobRecord) -> tuple[str, str, str]:
    return ("job", job.id, job.machine_name)
