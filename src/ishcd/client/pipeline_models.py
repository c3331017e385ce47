"""Pipelines, workflows, workflow jobs and promotions as the API returns them.

Like :mod:`ishcd.client.models`: the JSON fields as attributes, ``raw`` the
JSON object as received. A pipeline or workflow ``status`` is one of
``queued``, ``running``, ``on_hold`` (only approvals are waiting),
``complete`` or ``error``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from ishcd.client import models

QUEUED: Final = "queued"
RUNNING: Final = "running"
ON_HOLD: Final = "on_hold"
COMPLETE: Final = "complete"
ERROR: Final = "error"
STATUSES: Final = (QUEUED, RUNNING, ON_HOLD, COMPLETE, ERROR)
FINISHED: Final = frozenset({COMPLETE, ERROR})
SETTLED: Final = frozenset({COMPLETE, ERROR, ON_HOLD})  # what ``wait`` stops at by default


@dataclass(frozen=True, kw_only=True)
class ConfigProblem:
    """Why a config did not compile: ``path`` in the YAML (``jobs.build.steps``), its line."""

    message: str
    path: str
    line: int | None


@dataclass(frozen=True, kw_only=True)
class PipelineRef:
    """The pipeline a workflow belongs to, or a promoted pipeline's parent."""

    id: str
    number: int


@dataclass(frozen=True, kw_only=True)
class WorkflowRef:
    """The workflow a pipeline job's run belongs to."""

    id: str
    name: str


def pipeline_ref(data: Any) -> PipelineRef | None:
    """``{"id", "number"}`` as a :class:`PipelineRef`; None for null (or absent)."""
    return None if data is None else PipelineRef(id=data["id"], number=int(data["number"]))


def workflow_ref(data: Any) -> WorkflowRef | None:
    """``{"id", "name"}`` as a :class:`WorkflowRef`; None for null (or absent)."""
    return None if data is None else WorkflowRef(id=data["id"], name=data["name"])


@dataclass(frozen=True, kw_only=True)
class PipelineTrigger:
    """What started a pipeline: ``type`` is ``api`` or ``promotion``."""

    type: str
    actor: models.UserRef | None
    received: int


@dataclass(frozen=True, kw_only=True)
class Vcs:
    """The commit a pipeline is of (all None for an inline config with no refs)."""

    revision: str | None
    branch: str | None
    tag: str | None


def _problems(items: Any) -> list[ConfigProblem]:
    return [
        ConfigProblem(message=e["message"], path=e["path"], line=models.int_or_none(e["line"]))
        for e in items
    ]


@dataclass(frozen=True, kw_only=True)
class Pipeline:
    """One triggering of a project's config; ``number`` counts them per project.

    ``error_reason`` is ``config_error`` (see ``errors``), ``failed``,
    ``timed_out`` or ``canceled`` (as a workflow's). ``parameters`` are the
    values it ran with, defaults included. ``is_finished``, ``ok`` and
    ``on_hold`` say where it stands.
    """

    id: str
    number: int
    project: models.ProjectRef
    status: str
    error_reason: str | None
    errors: list[ConfigProblem]
    trigger: PipelineTrigger
    vcs: Vcs
    parameters: dict[str, Any]
    config_file: str
    promoted_from: PipelineRef | None
    promotion: str | None
    created: int
    changed: int
    started: int | None
    finished: int | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Pipeline:
        def build(d: models.Json) -> Pipeline:
            trigger = d["trigger"]
            vcs = d["vcs"]
            parent = d["promoted_from"]
            return cls(
                id=d["id"],
                number=int(d["number"]),
                project=models.project_ref(d["project"]),
                status=d["status"],
                error_reason=d["error_reason"],
                errors=_problems(d["errors"]),
                trigger=PipelineTrigger(
                    type=trigger["type"],
                    actor=models.user_ref(trigger["actor"]),
                    received=int(trigger["received"]),
                ),
                vcs=Vcs(revision=vcs["revision"], branch=vcs["branch"], tag=vcs["tag"]),
                parameters=dict(d["parameters"]),
                config_file=d["config_file"],
                promoted_from=None
                if parent is None
                else PipelineRef(id=parent["id"], number=int(parent["number"])),
                promotion=d["promotion"],
                created=int(d["created"]),
                changed=int(d["changed"]),
                started=models.int_or_none(d["started"]),
                finished=models.int_or_none(d["finished"]),
                raw=dict(d),
            )

        return models.parse("pipeline", data, build)

    @property
    def is_finished(self) -> bool:
        """True once the pipeline is ``complete`` or ``error`` (a rerun may start it again)."""
        return self.status in FINISHED

    @property
    def ok(self) -> bool:
        """True if the pipeline ended ``complete``."""
        return self.status == COMPLETE

    @property
    def on_hold(self) -> bool:
        """True while only approval jobs are waiting: someone must approve one."""
        return self.status == ON_HOLD


@dataclass(frozen=True, kw_only=True)
class PipelineConfig:
    """A pipeline's config: ``source`` as read or sent, ``compiled`` the plan (or None)."""

    file: str
    source: str | None
    compiled: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> PipelineConfig:
        def build(d: models.Json) -> PipelineConfig:
            compiled = d["compiled"]
            return cls(
                file=d["file"],
                source=d["source"],
                compiled=None if compiled is None else dict(compiled),
                raw=dict(d),
            )

        return models.parse("pipeline config", data, build)


@dataclass(frozen=True, kw_only=True)
class Workflow:
    """A DAG of jobs in a pipeline; a rerun is a new workflow (``rerun_of`` the old one).

    ``error_reason``: ``canceled`` if it was canceled, else ``failed`` if a job
    failed, else ``timed_out`` if one timed out, else ``canceled``.
    """

    id: str
    name: str
    pipeline: PipelineRef
    status: str
    error_reason: str | None
    rerun_of: str | None
    created: int
    changed: int
    started: int | None
    finished: int | None
    raw: dict[str, Any] = field(repr=False, compare=False)
    replayed: bool = False  # a rerun returned again for a request token already used

    @classmethod
    def from_json(cls, data: Any, *, replayed: bool = False) -> Workflow:
        def build(d: models.Json) -> Workflow:
            pipeline = d["pipeline"]
            return cls(
                id=d["id"],
                name=d["name"],
                pipeline=PipelineRef(id=pipeline["id"], number=int(pipeline["number"])),
                status=d["status"],
                error_reason=d["error_reason"],
                rerun_of=d["rerun_of"],
                created=int(d["created"]),
                changed=int(d["changed"]),
                started=models.int_or_none(d["started"]),
                finished=models.int_or_none(d["finished"]),
                raw=dict(d),
                replayed=replayed,
            )

        return models.parse("workflow", data, build)

    @property
    def is_finished(self) -> bool:
        """True once the workflow is ``complete`` or ``error``."""
        return self.status in FINISHED


@dataclass(frozen=True, kw_only=True)
class WorkflowJob:
    """One job of a workflow: ``type`` ``run`` (executed as the run ``run_id``) or ``approval``.

    ``error_reason`` is the run's, or ``dependency_failed`` (not run: a job it
    ``requires`` failed; ``message`` names it), or ``canceled``. ``attempt``
    counts retries; ``matrix`` holds the values of a matrix job.
    """

    id: str
    name: str
    type: str
    status: str
    error_reason: str | None
    message: str | None
    requires: list[str]
    run_id: str | None
    attempt: int
    matrix: dict[str, str]
    started: int | None
    finished: int | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> WorkflowJob:
        def build(d: models.Json) -> WorkflowJob:
            return cls(
                id=d["id"],
                name=d["name"],
                type=d["type"],
                status=d["status"],
                error_reason=d["error_reason"],
                message=d["message"],
                requires=[str(name) for name in d["requires"]],
                run_id=d["run_id"],
                attempt=int(d["attempt"]),
                matrix={str(k): str(v) for k, v in d["matrix"].items()},
                started=models.int_or_none(d["started"]),
                finished=models.int_or_none(d["finished"]),
                raw=dict(d),
            )

        return models.parse("workflow job", data, build)

    @property
    def not_run(self) -> bool:
        """True if the job ended without a run (a requirement failed, or it was canceled);
        an approval job counts when a requirement failed before it was on hold."""
        if self.status != ERROR or self.run_id is not None:
            return False
        return self.type == "run" or self.error_reason == "dependency_failed"


@dataclass(frozen=True, kw_only=True)
class Promotion:
    """A pipeline's promotion: ``status`` ``promoted`` or ``failed`` (see ``errors``).

    ``scheduled_pipeline_id`` is the follow-on pipeline it started; ``triggered_by``
    is ``auto`` or ``manual``.
    """

    id: str
    name: str
    triggered_by: str
    actor: models.UserRef | None
    override: bool
    status: str
    scheduled_pipeline_id: str | None
    errors: list[ConfigProblem]
    created: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Promotion:
        def build(d: models.Json) -> Promotion:
            return cls(
                id=d["id"],
                name=d["name"],
                triggered_by=d["triggered_by"],
                actor=models.user_ref(d["actor"]),
                override=bool(d["override"]),
                status=d["status"],
                scheduled_pipeline_id=d["scheduled_pipeline_id"],
                errors=_problems(d["errors"]),
                created=int(d["created"]),
                raw=dict(d),
            )

        return models.parse("promotion", data, build)
