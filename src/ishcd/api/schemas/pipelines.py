"""Pipelines, workflows, workflow jobs and promotions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ishcd.api.schemas.common import In, ProjectRef, UserRef
from ishcd.db.pipelines import JobView, PipelineRecord, PromotionRecord, WorkflowRecord
from ishcd.services.pipeline_parameters import Declared

PipelineStatus = Literal["queued", "running", "on_hold", "complete", "error"]


def _stamp(value: float | None) -> int | None:
    return None if value is None else int(value)


class PipelineIn(In):
    branch: str | None = Field(default=None, description="The project's default branch if none")
    tag: str | None = None
    revision: str | None = Field(default=None, description="A commit; with a branch, that branch")
    parameters: dict[str, Any] = Field(default_factory=dict, description="Values for `parameters`")
    config: str | None = Field(
        default=None,
        max_length=1024 * 1024,
        description="A config to use instead of the repository's .ishcd.yml (required without one)",
    )


class PipelineCreatedOut(BaseModel):
    id: str
    number: int
    status: PipelineStatus
    created: int


class ConfigErrorOut(BaseModel):
    message: str
    path: str
    line: int | None


class TriggerOut(BaseModel):
    type: Literal["api", "promotion"]
    actor: UserRef | None
    received: int


class VcsOut(BaseModel):
    revision: str | None
    branch: str | None
    tag: str | None


class PipelineRef(BaseModel):
    id: str
    number: int


class PipelineOut(BaseModel):
    id: str
    number: int
    project: ProjectRef
    status: PipelineStatus
    error_reason: str | None = Field(
        description="Why it ended error: config_error, or as a workflow's: canceled (stopped), "
        "else failed if any workflow failed, else timed_out, else canceled"
    )
    errors: list[ConfigErrorOut] = Field(description="Why the config did not compile")
    trigger: TriggerOut
    vcs: VcsOut
    parameters: dict[str, Any] = Field(
        description="Every parameter the config declares, with the value the pipeline ran "
        "with (its default when the trigger gave none); as the trigger sent them when the "
        "config did not compile"
    )
    config_file: str
    promoted_from: PipelineRef | None
    promotion: str | None
    created: int
    changed: int
    started: int | None
    finished: int | None

    @classmethod
    def of(cls, pipeline: PipelineRecord, parent_number: int | None = None) -> PipelineOut:
        actor = None
        if pipeline.actor_user_id is not None and pipeline.actor_username is not None:
            actor = UserRef(id=pipeline.actor_user_id, username=pipeline.actor_username)
        parent = None
        if pipeline.parent_id is not None:
            parent = PipelineRef(id=pipeline.parent_id, number=parent_number or 0)
        return cls(
            id=pipeline.id,
            number=pipeline.number,
            project=ProjectRef(id=pipeline.project_id, machine_name=pipeline.project_machine_name),
            status=pipeline.status,
            error_reason=pipeline.error_reason,
            errors=[ConfigErrorOut(**e) for e in pipeline.errors],
            trigger=TriggerOut(
                type=pipeline.trigger_type,
                actor=actor,
                received=int(pipeline.created),
            ),
            vcs=VcsOut(revision=pipeline.revision, branch=pipeline.branch, tag=pipeline.tag),
            parameters=pipeline.parameters,
            config_file=pipeline.config_file,
            promoted_from=parent,
            promotion=pipeline.promotion,
            created=int(pipeline.created),
            changed=int(pipeline.changed),
            started=_stamp(pipeline.started),
            finished=_stamp(pipeline.finished),
        )


class PipelineConfigOut(BaseModel):
    file: str
    source: str | None = Field(description="The config as read (or as sent)")
    compiled: dict[str, Any] | None = Field(
        description="The plan: parameters resolved, matrices expanded, filters applied"
    )


class ParameterOut(BaseModel):
    name: str
    type: Literal["string", "boolean", "integer", "enum"]
    default: str | bool | int | None = Field(description="None: a trigger must give a value")
    required: bool = Field(description="No default: a trigger must give a value")
    values: list[str] = Field(description="An enum's values (empty for other types)")
    description: str | None


class PipelineParametersOut(BaseModel):
    file: str = Field(description="The config file read")
    vcs: VcsOut = Field(description="Where it was read: the branch, tag and commit")
    found: bool = Field(description="Whether the config file is at that commit")
    parameters: list[ParameterOut] = Field(description="As declared, in the config's order")
    errors: list[ConfigErrorOut] = Field(
        description="Problems in the config: a pipeline triggered there would end config_error"
    )

    @classmethod
    def of(cls, declared: Declared) -> PipelineParametersOut:
        return cls(
            file=declared.file,
            vcs=VcsOut(revision=declared.revision, branch=declared.branch, tag=declared.tag),
            found=declared.found,
            parameters=[
                ParameterOut(
                    name=spec.name,
                    type=spec.type,
                    default=spec.default,
                    required=spec.default is None,
                    values=list(spec.values),
                    description=spec.description,
                )
                for spec in declared.parameters
            ],
            errors=[ConfigErrorOut(**e.as_dict()) for e in declared.errors],
        )


class WorkflowOut(BaseModel):
    id: str
    name: str
    pipeline: PipelineRef
    status: PipelineStatus
    error_reason: str | None = Field(
        description="Why it ended error: canceled (the workflow was canceled), else from its "
        "jobs: failed if any failed (exit code, setup_failed, runner_lost), else timed_out if "
        "any timed out, else canceled"
    )
    rerun_of: str | None
    created: int
    changed: int
    started: int | None
    finished: int | None

    @classmethod
    def of(cls, workflow: WorkflowRecord, pipeline: PipelineRecord) -> WorkflowOut:
        return cls(
            id=workflow.id,
            name=workflow.name,
            pipeline=PipelineRef(id=pipeline.id, number=pipeline.number),
            status=workflow.status,
            error_reason=workflow.error_reason,
            rerun_of=workflow.rerun_of,
            created=int(workflow.created),
            changed=int(workflow.changed),
            started=_stamp(workflow.started),
            finished=_stamp(workflow.finished),
        )


class WorkflowJobOut(BaseModel):
    id: str
    name: str
    type: Literal["run", "approval"]
    status: PipelineStatus
    error_reason: str | None = Field(
        description="A run's reason, or dependency_failed (a requirement failed), or canceled"
    )
    message: str | None
    requires: list[str] = Field(description="The DAG's edges: jobs this one waits for")
    run_id: str | None
    attempt: int
    matrix: dict[str, str]
    started: int | None
    finished: int | None

    @classmethod
    def of(cls, view: JobView) -> WorkflowJobOut:
        job = view.job
        status = job.status
        if status == "queued" and view.run_status == "running":
            status = "running"
        spec = job.spec
        return cls(
            id=job.id,
            name=job.name,
            type=job.type,
            status=status,
            error_reason=job.error_reason,
            message=job.message,
            requires=list(spec["requires"]),
            run_id=job.run_id,
            attempt=job.attempt,
            matrix=dict(spec["matrix"]),
            started=_stamp(view.run_started or job.started),
            finished=_stamp(job.finished or view.run_finished),
        )


class RerunIn(In):
    from_failed: bool = Field(default=False, description="Only jobs that did not complete")
    jobs: list[str] | None = Field(default=None, description="Only these jobs (and dependants)")


class RerunOut(BaseModel):
    workflow_id: str
    pipeline_id: str


class PromotionIn(In):
    name: str = Field(min_length=1, max_length=200)
    override: bool = Field(default=False, description="Promote even if the pipeline has not passed")


class PromotionOut(BaseModel):
    id: str
    name: str
    triggered_by: Literal["auto", "manual"]
    actor: UserRef | None
    override: bool
    status: Literal["promoted", "failed"]
    scheduled_pipeline_id: str | None
    errors: list[ConfigErrorOut]
    created: int

    @classmethod
    def of(cls, promotion: PromotionRecord) -> PromotionOut:
        actor = None
        if promotion.actor_user_id is not None and promotion.actor_username is not None:
            actor = UserRef(id=promotion.actor_user_id, username=promotion.actor_username)
        return cls(
            id=promotion.id,
            name=promotion.name,
            triggered_by=promotion.triggered_by,
            actor=actor,
            override=promotion.override,
            status=promotion.status,
            scheduled_pipeline_id=promotion.scheduled_pipeline_id,
            errors=[ConfigErrorOut(**e) for e in promotion.errors],
            created=int(promotion.created),
        )
