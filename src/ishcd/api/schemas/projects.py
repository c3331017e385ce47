"""Projects and jobs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ishcd.api.schemas.common import In, ProjectRef
from ishcd.db.jobs import JobRecord
from ishcd.db.projects import ProjectRecord
from ishcd.services.variables import MASK

MACHINE_NAME_DOC = (
    "Lowercase letters, digits, '-' and '_'; made from the name when absent. "
    "Usable in URLs in place of the id."
)


REPOSITORY_DOC = "A git URL (https://, ssh://, git@host:path, file://) or a local path"
RETENTION_DOC = (
    "Days the logs and kept workspaces of finished runs are kept before the retention "
    "sweep deletes them (the run records stay); null: the server's ISHCD_LOG_RETENTION_DAYS. "
    "At most the server's value when it has one."
)


def _retention() -> Any:
    return Field(default=None, ge=1, le=36500, description=RETENTION_DOC)


class ProjectIn(In):
    name: str = Field(min_length=1, max_length=200)
    machine_name: str | None = Field(default=None, description=MACHINE_NAME_DOC)
    description: str | None = Field(default=None, max_length=10_000)
    repository: str | None = Field(default=None, max_length=2000, description=REPOSITORY_DOC)
    default_branch: str = Field(default="main", min_length=1, max_length=255)
    log_retention_days: int | None = _retention()


class ProjectPatch(In):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    machine_name: str | None = Field(default=None, description=MACHINE_NAME_DOC)
    description: str | None = Field(default=None, max_length=10_000)
    repository: str | None = Field(default=None, max_length=2000, description=REPOSITORY_DOC)
    default_branch: str | None = Field(default=None, min_length=1, max_length=255)
    log_retention_days: int | None = _retention()


class ProjectOut(BaseModel):
    id: str
    machine_name: str
    name: str
    description: str | None
    repository: str | None
    default_branch: str
    log_retention_days: int | None = Field(description=RETENTION_DOC)
    created: int
    changed: int

    @classmethod
    def of(cls, project: ProjectRecord) -> ProjectOut:
        return cls(
            id=project.id,
            machine_name=project.machine_name,
            name=project.name,
            description=project.description,
            repository=project.repository,
            default_branch=project.default_branch,
            log_retention_days=project.log_retention_days,
            created=int(project.created),
            changed=int(project.changed),
        )


class Variable(In):
    name: str = Field(description="A shell variable name; ISHCD and ISHCD_* are reserved")
    default: str | None = Field(default=None, description="Used when a run does not set it")
    required: bool = Field(default=False, description="A run must end up with a non-empty value")
    secret: bool = Field(default=False, description="Shown as *** in every response")
    description: str | None = Field(default=None, max_length=2000)


class JobIn(In):
    name: str = Field(min_length=1, max_length=200)
    machine_name: str | None = Field(default=None, description=MACHINE_NAME_DOC)
    description: str | None = Field(default=None, max_length=10_000)
    script: str = Field(
        min_length=1,
        max_length=1024 * 1024,
        description="Shell script, run as `bash --noprofile --norc -eo pipefail`",
    )
    variables: list[Variable] = Field(default_factory=list)
    timeout: int | None = Field(
        default=None, ge=1, le=7 * 86400, description="Seconds; the server default when null"
    )


class JobPatch(In):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    machine_name: str | None = Field(default=None, description=MACHINE_NAME_DOC)
    description: str | None = Field(default=None, max_length=10_000)
    script: str | None = Field(default=None, min_length=1, max_length=1024 * 1024)
    variables: list[Variable] | None = None
    timeout: int | None = Field(default=None, ge=1, le=7 * 86400)


def shown_variables(declared: list[dict[str, Any]]) -> list[Variable]:
    """Declarations as shown: a secret default (stored encrypted) is ``***``."""
    out = []
    for item in declared:
        default = item["default"]
        if item["secret"] and (default is not None or item.get("encrypted_default")):
            default = MASK
        out.append(
            Variable(
                name=item["name"],
                default=default,
                required=item["required"],
                secret=item["secret"],
                description=item["description"],
            )
        )
    return out


class JobOut(BaseModel):
    id: str
    machine_name: str
    name: str
    description: str | None
    script: str
    variables: list[Variable]
    timeout: int | None
    project: ProjectRef
    created: int
    changed: int

    @classmethod
    def of(cls, job: JobRecord, project: ProjectRecord | ProjectRef) -> JobOut:
        return cls(
            id=job.id,
            machine_name=job.machine_name,
            name=job.name,
            description=job.description,
            script=job.script,
            variables=shown_variables(job.variables),
            timeout=job.timeout,
            project=ProjectRef(id=project.id, machine_name=project.machine_name),
            created=int(job.created),
            changed=int(job.changed),
        )
