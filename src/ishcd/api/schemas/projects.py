"""Projects and jobs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from ishcd.api.schemas import outputs
from ishcd.api.schemas.common import In, ProjectRef
from ishcd.db.jobs import JobRecord
from ishcd.db.projects import ProjectRecord
from ishcd.services import badges, ids, jobs
from ishcd.services.variables import MASK

MACHINE_NAME_DOC = (
    "Lowercase letters, digits, '-' and '_'; made from the name when absent. "
    "Usable in URLs in place of the id."
)
PROJECT_MACHINE_NAME_DOC = MACHINE_NAME_DOC + " `new` is reserved (the web UI's /projects/new)."


REPOSITORY_DOC = "A git URL (https://, ssh://, git@host:path, file://) or a local path"
RETENTION_DOC = (
    "Days the logs and kept workspaces of finished runs are kept before the retention "
    "sweep deletes them (the run records stay); null: the server's ISHCD_LOG_RETENTION_DAYS. "
    "At most the server's value when it has one."
)


LABEL_DOC = (
    "The display name, in the shape of Ish CD's official JavaScript client: with `label`, "
    "`name` is the machine name (and `machine_name` is not sent). Without it (or null), "
    "`name` is the display name as usual."
)
NAME_DOC = "The display name; the machine name when `label` is sent"


ARTIFACTS_EXPIRE_MIN = 3600
ARTIFACTS_EXPIRE_MAX = 10 * 365 * 86400
ARTIFACTS_EXPIRE_DOC = (
    "Seconds a run's artifacts are kept when its job does not say (`expire_in`); null: "
    "the server's ISHCD_ARTIFACT_EXPIRE_IN. From an hour to ten years."
)
PUBLIC_BADGES_DOC = (
    "Serve the project's status badges to anyone, without the badge key (docs/badges.md)"
)


def _retention() -> Any:
    return Field(default=None, ge=1, le=36500, description=RETENTION_DOC)


def _label() -> Any:
    return Field(default=None, min_length=1, max_length=200, description=LABEL_DOC)


def name_with_label(value: str | None, info: ValidationInfo) -> str | None:
    """``name`` is a machine name when ``label`` (validated before it) is sent."""
    if info.data.get("label") is None:
        return value
    if value is None:
        raise PydanticCustomError(
            "machine_name", "with label, name is the machine name: it must not be null"
        )
    if not ids.valid_machine_name(value):
        raise PydanticCustomError(
            "machine_name",
            "with label, name is the machine name: it must be {rule}",
            {"rule": ids.MACHINE_NAME_RULE},
        )
    return value


def machine_name_without_label(value: str | None, info: ValidationInfo) -> str | None:
    """With ``label``, ``name`` is the machine name: a second one is a mistake."""
    if value is not None and info.data.get("label") is not None:
        raise PydanticCustomError(
            "label_and_machine_name", "with label, name is the machine name: leave this out"
        )
    return value


class Labelled(In):
    """A body whose ``name`` may be a machine name: drush.io's ``{name, label}``.

    ``label`` comes first so that the checks of ``name`` and ``machine_name``
    see it (pydantic validates fields in the order they are declared).
    """

    label: str | None = _label()
    name: str | None
    machine_name: str | None

    _name = field_validator("name")(name_with_label)
    _machine_name = field_validator("machine_name")(machine_name_without_label)

    def names(self) -> dict[str, Any]:
        """The display name and machine name sent, as ``name`` and ``machine_name``."""
        sent = self.model_dump(include={"name", "machine_name"}, exclude_unset=True)
        if self.label is not None:
            sent = {"name": self.label}
            if "name" in self.model_fields_set:
                sent["machine_name"] = self.name
        return sent

    def changes(self) -> dict[str, Any]:
        """The fields sent, with ``label`` and ``name`` as display and machine name."""
        sent = self.model_dump(exclude_unset=True, exclude={"label", "name", "machine_name"})
        return {**sent, **self.names()}


class ProjectIn(Labelled):
    label: str | None = _label()
    name: str = Field(min_length=1, max_length=200, description=NAME_DOC)
    machine_name: str | None = Field(default=None, description=PROJECT_MACHINE_NAME_DOC)
    description: str | None = Field(default=None, max_length=10_000)
    repository: str | None = Field(default=None, max_length=2000, description=REPOSITORY_DOC)
    default_branch: str = Field(default="main", min_length=1, max_length=255)
    log_retention_days: int | None = _retention()


class ProjectPatch(Labelled):
    label: str | None = _label()
    name: str | None = Field(default=None, min_length=1, max_length=200, description=NAME_DOC)
    machine_name: str | None = Field(default=None, description=PROJECT_MACHINE_NAME_DOC)
    description: str | None = Field(default=None, max_length=10_000)
    repository: str | None = Field(default=None, max_length=2000, description=REPOSITORY_DOC)
    default_branch: str | None = Field(default=None, min_length=1, max_length=255)
    log_retention_days: int | None = _retention()
    public_badges: bool | None = Field(default=None, description=PUBLIC_BADGES_DOC)
    artifacts_expire_in: int | None = Field(
        default=None,
        ge=ARTIFACTS_EXPIRE_MIN,
        le=ARTIFACTS_EXPIRE_MAX,
        description=ARTIFACTS_EXPIRE_DOC,
    )


class BadgeOut(BaseModel):
    """The project's status badge (docs/badges.md)."""

    url: str = Field(
        description="The badge image of the default branch's latest pipeline; with the "
        "project's badge key (`?key=`) unless badges are public. The key shows this "
        "project's badges and nothing else."
    )
    markdown: str = Field(description="The badge linked to the project's page, for a README")

    @classmethod
    def of(cls, project: ProjectRecord, base_url: str) -> BadgeOut:
        found = badges.links(project, base_url)
        return cls(url=found.url, markdown=found.markdown)


class BadgeKeyOut(BadgeOut):
    key: str = Field(description="The new badge key: the old one no longer works")


class ProjectOut(BaseModel):
    id: str
    machine_name: str
    name: str
    description: str | None
    repository: str | None
    default_branch: str
    log_retention_days: int | None = Field(description=RETENTION_DOC)
    public_badges: bool = Field(description=PUBLIC_BADGES_DOC)
    artifacts_expire_in: int | None = Field(description=ARTIFACTS_EXPIRE_DOC)
    badge: BadgeOut
    created: int
    changed: int

    @classmethod
    def of(cls, project: ProjectRecord, base_url: str) -> ProjectOut:
        """``project`` as shown, its badge's links under ``base_url`` (the server's
        public address)."""
        return cls(
            id=project.id,
            machine_name=project.machine_name,
            name=project.name,
            description=project.description,
            repository=project.repository,
            default_branch=project.default_branch,
            log_retention_days=project.log_retention_days,
            public_badges=bool(project.public_badges),
            artifacts_expire_in=project.artifacts_expire_in,
            badge=BadgeOut.of(project, base_url),
            created=int(project.created),
            changed=int(project.changed),
        )


class Variable(In):
    name: str = Field(description="A shell variable name; ISHCD and ISHCD_* are reserved")
    default: str | None = Field(default=None, description="Used when a run does not set it")
    required: bool = Field(default=False, description="A run must end up with a non-empty value")
    secret: bool = Field(default=False, description="Shown as *** in every response")
    description: str | None = Field(default=None, max_length=2000)


SCRIPT_MAX = 1024 * 1024
SCRIPT_DOC = (
    "Shell script, run as `bash --noprofile --norc -eo pipefail`; "
    "required unless `rawCommands` is sent"
)
RAW_COMMANDS_DOC = (
    "The script, in the shape of Ish CD's official JavaScript client: send this or "
    "`script`, not both"
)


def _raw_commands() -> Any:
    return Field(
        default=None,
        alias="rawCommands",
        min_length=1,
        max_length=SCRIPT_MAX,
        description=RAW_COMMANDS_DOC,
    )


def one_script(value: str | None, info: ValidationInfo) -> str | None:
    """``script`` and ``rawCommands`` (validated before it) are one field: not both."""
    if value is not None and info.data.get("raw_commands") is not None:
        raise PydanticCustomError(
            "script_and_raw_commands", "send the script as script or as rawCommands, not both"
        )
    return value


def script_sent(value: str | None, info: ValidationInfo) -> str | None:
    """A new job has a script, as ``script`` or as ``rawCommands``."""
    value = one_script(value, info)
    # raw_commands is absent from info.data when it was sent but failed its own checks.
    if value is None and "raw_commands" in info.data and info.data["raw_commands"] is None:
        raise PydanticCustomError("missing", "Field required (the script, or rawCommands)")
    return value


LABELS_DOC = (
    "Runner labels: a run of the job goes only to a runner that has all of them "
    "(the embedded runner has `local`); at most 8, each 1 to 64 letters, digits, _ . : -"
)
RETRY_DOC = (
    "How many times a run that ends `error` goes back to the queue (`failed`, `timed_out`, "
    "`runner_lost`; not `canceled`), and whether only when its runner was lost. "
    "An integer is the count."
)


class Retry(In):
    count: int = Field(default=0, ge=0, le=10)
    only_lost: bool = False


def _retry(value: Any) -> Any:
    return {"count": value} if isinstance(value, int) and not isinstance(value, bool) else value


class JobIn(Labelled):
    label: str | None = _label()
    name: str = Field(min_length=1, max_length=200, description=NAME_DOC)
    machine_name: str | None = Field(default=None, description=MACHINE_NAME_DOC)
    description: str | None = Field(default=None, max_length=10_000)
    raw_commands: str | None = _raw_commands()
    script: str | None = Field(
        default=None,
        min_length=1,
        max_length=SCRIPT_MAX,
        validate_default=True,
        description=SCRIPT_DOC,
    )
    variables: list[Variable] = Field(default_factory=list)
    timeout: int | None = Field(
        default=None, ge=1, le=7 * 86400, description="Seconds; the server default when null"
    )
    labels: list[str] = Field(default_factory=list, max_length=8, description=LABELS_DOC)
    retry: Retry = Field(default_factory=Retry, description=RETRY_DOC)
    artifacts: outputs.ArtifactsField = outputs.artifacts_field()
    cache: outputs.CacheIn | None = outputs.cache_field()
    test_reports: outputs.TestReportsField = outputs.test_reports_field()

    _script = field_validator("script")(script_sent)
    _retry = field_validator("retry", mode="before")(_retry)

    @property
    def the_script(self) -> str:
        """The script, whichever field it came in."""
        script = self.script if self.script is not None else self.raw_commands
        assert script is not None  # script_sent
        return script

    def outputs_sent(self) -> dict[str, Any]:
        """``artifacts``, ``cache`` and ``test_reports`` as sent (services.jobs checks them)."""
        return {
            "artifacts": outputs.plain(self.artifacts),
            "cache": outputs.plain(self.cache),
            "test_reports": self.test_reports,
        }


class JobPatch(Labelled):
    label: str | None = _label()
    name: str | None = Field(default=None, min_length=1, max_length=200, description=NAME_DOC)
    machine_name: str | None = Field(default=None, description=MACHINE_NAME_DOC)
    description: str | None = Field(default=None, max_length=10_000)
    raw_commands: str | None = _raw_commands()
    script: str | None = Field(
        default=None, min_length=1, max_length=SCRIPT_MAX, description=SCRIPT_DOC
    )
    variables: list[Variable] | None = None
    timeout: int | None = Field(default=None, ge=1, le=7 * 86400)
    labels: list[str] | None = Field(default=None, max_length=8, description=LABELS_DOC)
    retry: Retry | None = Field(default=None, description=RETRY_DOC)
    artifacts: outputs.ArtifactsField = outputs.artifacts_field()
    cache: outputs.CacheIn | None = outputs.cache_field()
    test_reports: outputs.TestReportsField = outputs.test_reports_field()

    _script = field_validator("script")(one_script)
    _retry = field_validator("retry", mode="before")(_retry)

    def changes(self) -> dict[str, Any]:
        """The fields sent, ``rawCommands`` as ``script``, ``retry`` as its two columns."""
        sent = super().changes()
        if "raw_commands" in sent:
            sent["script"] = sent.pop("raw_commands")
        if "retry" in sent:
            sent.pop("retry")
            sent["retry"] = None if self.retry is None else self.retry.count
            sent["retry_only_lost"] = None if self.retry is None else self.retry.only_lost
        return sent


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
    labels: list[str]
    retry: Retry
    artifacts: outputs.ArtifactsOut | None = Field(description=outputs.ARTIFACTS_DOC)
    cache: outputs.CacheOut | None = Field(description=outputs.CACHE_DOC)
    test_reports: list[str] | None = Field(description=outputs.TEST_REPORTS_DOC)
    project: ProjectRef
    created: int
    changed: int

    @classmethod
    def of(cls, job: JobRecord, project: ProjectRecord | ProjectRef) -> JobOut:
        kept = jobs.outputs_of(job)
        return cls(
            id=job.id,
            machine_name=job.machine_name,
            name=job.name,
            description=job.description,
            script=job.script,
            variables=shown_variables(job.variables),
            timeout=job.timeout,
            labels=[label for label in job.labels.split(",") if label],
            retry=Retry(count=job.retry, only_lost=job.retry_only_lost),
            artifacts=outputs.ArtifactsOut.of(kept.artifacts),
            cache=outputs.CacheOut.of(kept.cache),
            test_reports=list(kept.test_reports) or None,
            project=ProjectRef(id=project.id, machine_name=project.machine_name),
            created=int(job.created),
            changed=int(job.changed),
        )
