"""Queries on pipelines, their workflows, workflow jobs and promotions."""

from __future__ import annotations

import functools
import json
from typing import Any, NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection
from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import pipelines, projects, promotions, runs, workflow_jobs, workflows


class PipelineRecord(NamedTuple):
    id: str
    project_id: str
    number: int
    status: str
    error_reason: str | None
    errors_json: str
    config_file: str
    config_source: str | None
    plan_json: str | None
    promotion_sources_json: str
    trigger_type: str
    actor_user_id: str | None
    actor_username: str | None
    actor_token_id: str | None
    credentials_of: str | None
    branch: str | None
    tag: str | None
    revision: str | None
    parameters_json: str
    parent_id: str | None
    promotion: str | None
    stop_requested: bool
    created: float
    changed: float
    started: float | None
    finished: float | None
    project_machine_name: str

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = json.loads(self.errors_json)
        return errors

    @property
    def parameters(self) -> dict[str, Any]:
        parameters: dict[str, Any] = json.loads(self.parameters_json)
        return parameters

    @property
    def plan(self) -> dict[str, Any] | None:
        return None if self.plan_json is None else dict(json.loads(self.plan_json))

    @property
    def promotion_sources(self) -> dict[str, str]:
        sources: dict[str, str] = json.loads(self.promotion_sources_json)
        return sources


class WorkflowRecord(NamedTuple):
    id: str
    pipeline_id: str
    name: str
    status: str
    error_reason: str | None
    cancel_requested: bool
    rerun_of: str | None
    request_token: str | None
    created: float
    changed: float
    started: float | None
    finished: float | None


class WorkflowJobRecord(NamedTuple):
    id: str
    workflow_id: str
    name: str
    position: int
    type: str
    status: str
    error_reason: str | None
    message: str | None
    spec_json: str
    run_id: str | None
    attempt: int
    approved_by: str | None
    created: float
    changed: float
    started: float | None
    finished: float | None

    @property
    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = json.loads(self.spec_json)
        return spec

    @property
    def requires(self) -> list[str]:
        return list(self.spec["requires"])


class JobView(NamedTuple):
    """A workflow job with the status and times of its current run."""

    job: WorkflowJobRecord
    run_status: str | None
    run_started: float | None
    run_finished: float | None


class PromotionRecord(NamedTuple):
    id: str
    pipeline_id: str
    name: str
    triggered_by: str
    actor_user_id: str | None
    actor_username: str | None
    override: bool
    scheduled_pipeline_id: str | None
    status: str
    errors_json: str
    created: float

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = json.loads(self.errors_json)
        return errors


def _labelled(table: sa.Table, *json_columns: str) -> list[sa.ColumnElement[Any]]:
    return [c.label(f"{c.name}_json") if c.name in json_columns else c for c in table.c]


_PIPELINE = sa.select(
    *_labelled(pipelines, "errors", "plan", "parameters", "promotion_sources"),
    projects.c.machine_name.label("project_machine_name"),
).select_from(pipelines.join(projects, projects.c.id == pipelines.c.project_id))
check_columns(_PIPELINE, PipelineRecord._fields)
_WORKFLOW = sa.select(workflows)
check_columns(_WORKFLOW, WorkflowRecord._fields)
_JOB = sa.select(*_labelled(workflow_jobs, "spec"))
check_columns(_JOB, WorkflowJobRecord._fields)
_PROMOTION = sa.select(*_labelled(promotions, "errors"))
check_columns(_PROMOTION, PromotionRecord._fields)

_INSERT_PIPELINE = insert(pipelines)
_INSERT_WORKFLOW = insert(workflows)
_INSERT_JOB = insert(workflow_jobs)
_INSERT_PROMOTION = insert(promotions)
_NEXT_NUMBER = Query(
    sa.update(projects)
    .where(projects.c.id == sa.bindparam("id"))
    .values(pipeline_count=projects.c.pipeline_count + 1)
    .returning(projects.c.pipeline_count)
)
_PIPELINE_BY_ID = Query(_PIPELINE.where(pipelines.c.id == sa.bindparam("id")))
_PIPELINE_BY_NUMBER = Query(
    _PIPELINE.where(
        pipelines.c.project_id == sa.bindparam("project_id"),
        pipelines.c.number == sa.bindparam("number"),
    )
)
_WORKFLOW_BY_ID = Query(_WORKFLOW.where(workflows.c.id == sa.bindparam("id")))
_WORKFLOWS_OF = Query(
    _WORKFLOW.where(workflows.c.pipeline_id == sa.bindparam("pipeline_id")).order_by(
        workflows.c.created, workflows.c.name
    )
)
_WORKFLOWS_OF_NUMBERS = Query(
    _WORKFLOW.select_from(workflows.join(pipelines, pipelines.c.id == workflows.c.pipeline_id))
    .where(
        pipelines.c.project_id == sa.bindparam("project_id"),
        pipelines.c.number >= sa.bindparam("low"),
        pipelines.c.number <= sa.bindparam("high"),
    )
    .order_by(workflows.c.created, workflows.c.name)
)
_RERUN = Query(
    _WORKFLOW.where(
        workflows.c.rerun_of == sa.bindparam("rerun_of"),
        workflows.c.request_token == sa.bindparam("token"),
    )
)
_JOBS_OF = Query(
    _JOB.where(workflow_jobs.c.workflow_id == sa.bindparam("workflow_id")).order_by(
        workflow_jobs.c.position
    )
)
_JOB_BY_ID = Query(_JOB.where(workflow_jobs.c.id == sa.bindparam("id")))
_JOB_VIEWS = Query(
    _JOB.add_columns(runs.c.status, runs.c.started, runs.c.finished)
    .select_from(workflow_jobs.outerjoin(runs, runs.c.id == workflow_jobs.c.run_id))
    .where(workflow_jobs.c.workflow_id == sa.bindparam("workflow_id"))
    .order_by(workflow_jobs.c.position)
)
_PROMOTIONS_OF = Query(
    _PROMOTION.where(promotions.c.pipeline_id == sa.bindparam("pipeline_id")).order_by(
        promotions.c.created
    )
)


def _params(
    record: NamedTuple, json_columns: tuple[str, ...], drop: tuple[str, ...] = ()
) -> dict[str, Any]:
    values = record._asdict()
    for name in drop:
        values.pop(name)
    for name in json_columns:
        values[name] = values.pop(f"{name}_json")
    return values


async def next_number(conn: Connection, project_id: str) -> int:
    """The project's next pipeline number (1, 2, …), taken for good."""
    return int(await conn.fetch_value(_NEXT_NUMBER, id=project_id))


async def insert_pipeline(conn: Connection, record: PipelineRecord) -> None:
    json_columns = ("errors", "plan", "parameters", "promotion_sources")
    values = _params(record, json_columns, drop=("project_machine_name",))
    await conn.execute(_INSERT_PIPELINE, **values)


_LOCK_PIPELINE = Query(
    sa.select(pipelines.c.id).where(pipelines.c.id == sa.bindparam("id")).with_for_update()
)


async def lock_pipeline(conn: Connection, pipeline_id: str) -> None:
    """Hold the pipeline's row until the transaction ends (PostgreSQL ``FOR UPDATE``).

    Everything that moves a pipeline's workflows on takes this first, so two
    runs of one pipeline ending at once cannot each see the other still
    running and leave the workflow ``running`` for ever. SQLite needs nothing:
    its write transactions run one at a time.
    """
    await conn.fetch_one(_LOCK_PIPELINE, id=pipeline_id)


async def get_pipeline(conn: Connection, pipeline_id: str) -> PipelineRecord | None:
    row = await conn.fetch_one(_PIPELINE_BY_ID, id=pipeline_id)
    return None if row is None else PipelineRecord._make(row)


async def pipeline_by_number(
    conn: Connection, project_id: str, number: int
) -> PipelineRecord | None:
    row = await conn.fetch_one(_PIPELINE_BY_NUMBER, project_id=project_id, number=number)
    return None if row is None else PipelineRecord._make(row)


@functools.lru_cache(maxsize=16)
def _list_query(by_branch: bool, by_status: bool, by_actor: bool) -> Query:
    stmt = _PIPELINE.where(pipelines.c.project_id == sa.bindparam("project_id"))
    if by_branch:
        stmt = stmt.where(pipelines.c.branch == sa.bindparam("branch"))
    if by_status:
        stmt = stmt.where(pipelines.c.status == sa.bindparam("status"))
    if by_actor:
        stmt = stmt.where(pipelines.c.actor_user_id == sa.bindparam("actor"))
    stmt = stmt.order_by(pipelines.c.number.desc()).limit(sa.bindparam("limit"))
    return Query(stmt.offset(sa.bindparam("offset")))


async def list_pipelines(
    conn: Connection,
    project_id: str,
    *,
    branch: str | None,
    status: str | None,
    actor: str | None,
    limit: int,
    offset: int,
) -> list[PipelineRecord]:
    """A project's pipelines, newest first."""
    params: dict[str, Any] = {"project_id": project_id, "limit": limit, "offset": offset}
    for name, value in (("branch", branch), ("status", status), ("actor", actor)):
        if value is not None:
            params[name] = value
    query = _list_query(branch is not None, status is not None, actor is not None)
    return [PipelineRecord._make(row) for row in await conn.fetch_all(query, **params)]


async def _update(conn: Connection, table: sa.Table, row_id: str, values: dict[str, Any]) -> None:
    stmt = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values({name: sa.bindparam(name) for name in values})
    )
    await conn.execute(Query(stmt), row_id=row_id, **values)


async def update_pipeline(conn: Connection, pipeline_id: str, values: dict[str, Any]) -> None:
    await _update(conn, pipelines, pipeline_id, values)


async def insert_workflow(conn: Connection, record: WorkflowRecord) -> None:
    await conn.execute(_INSERT_WORKFLOW, **record._asdict())


async def get_workflow(conn: Connection, workflow_id: str) -> WorkflowRecord | None:
    row = await conn.fetch_one(_WORKFLOW_BY_ID, id=workflow_id)
    return None if row is None else WorkflowRecord._make(row)


async def workflows_of(conn: Connection, pipeline_id: str) -> list[WorkflowRecord]:
    rows = await conn.fetch_all(_WORKFLOWS_OF, pipeline_id=pipeline_id)
    return [WorkflowRecord._make(row) for row in rows]


async def workflows_of_numbers(
    conn: Connection, project_id: str, low: int, high: int
) -> list[WorkflowRecord]:
    """The workflows of a project's pipelines numbered ``low`` to ``high``, oldest first."""
    rows = await conn.fetch_all(_WORKFLOWS_OF_NUMBERS, project_id=project_id, low=low, high=high)
    return [WorkflowRecord._make(row) for row in rows]


async def rerun_for_token(conn: Connection, rerun_of: str, token: str) -> WorkflowRecord | None:
    row = await conn.fetch_one(_RERUN, rerun_of=rerun_of, token=token)
    return None if row is None else WorkflowRecord._make(row)


async def update_workflow(conn: Connection, workflow_id: str, values: dict[str, Any]) -> None:
    await _update(conn, workflows, workflow_id, values)


async def insert_job(conn: Connection, record: WorkflowJobRecord) -> None:
    await conn.execute(_INSERT_JOB, **_params(record, ("spec",)))


async def jobs_of(conn: Connection, workflow_id: str) -> list[WorkflowJobRecord]:
    rows = await conn.fetch_all(_JOBS_OF, workflow_id=workflow_id)
    return [WorkflowJobRecord._make(row) for row in rows]


async def job_views(conn: Connection, workflow_id: str) -> list[JobView]:
    """A workflow's jobs with their runs' status, in plan order."""
    rows = await conn.fetch_all(_JOB_VIEWS, workflow_id=workflow_id)
    size = len(WorkflowJobRecord._fields)
    return [JobView(WorkflowJobRecord._make(row[:size]), *row[size:]) for row in rows]


async def get_job(conn: Connection, job_id: str) -> WorkflowJobRecord | None:
    row = await conn.fetch_one(_JOB_BY_ID, id=job_id)
    return None if row is None else WorkflowJobRecord._make(row)


async def update_job(conn: Connection, job_id: str, values: dict[str, Any]) -> None:
    await _update(conn, workflow_jobs, job_id, values)


async def insert_promotion(conn: Connection, record: PromotionRecord) -> None:
    await conn.execute(_INSERT_PROMOTION, **_params(record, ("errors",)))


async def promotions_of(conn: Connection, pipeline_id: str) -> list[PromotionRecord]:
    rows = await conn.fetch_all(_PROMOTIONS_OF, pipeline_id=pipeline_id)
    return [PromotionRecord._make(row) for row in rows]
