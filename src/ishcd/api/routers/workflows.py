"""Workflows: their jobs, cancel, rerun, approve."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, Response

from ishcd.api.deps import Authenticated, context
from ishcd.api.errors import responses
from ishcd.api.schemas.pipelines import RerunIn, RerunOut, WorkflowJobOut, WorkflowOut
from ishcd.services import workflow_actions

router = APIRouter(tags=["workflows"], route_class=Authenticated)


@router.get("/workflows/{workflow_id}", response_model=WorkflowOut, responses=responses(401, 404))
async def get_workflow(request: Request, workflow_id: str) -> WorkflowOut:
    """Read a workflow."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        pipeline, workflow = await workflow_actions.workflow_for(conn, ctx.caller, workflow_id)
    return WorkflowOut.of(workflow, pipeline)


@router.get(
    "/workflows/{workflow_id}/jobs",
    response_model=list[WorkflowJobOut],
    responses=responses(401, 404),
)
async def list_workflow_jobs(request: Request, workflow_id: str) -> list[WorkflowJobOut]:
    """A workflow's jobs in DAG order, each with its run and what it requires."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        _, views = await workflow_actions.job_views(conn, ctx.caller, workflow_id)
    return [WorkflowJobOut.of(view) for view in views]


@router.post(
    "/workflows/{workflow_id}/cancel",
    response_model=WorkflowOut,
    responses=responses(401, 403, 404, 409),
)
async def cancel_workflow(request: Request, workflow_id: str) -> WorkflowOut:
    """Cancel a workflow: its runs are stopped, what has not started will not."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        workflow = await workflow_actions.cancel(conn, ctx.server.runtime, ctx.caller, workflow_id)
        pipeline, _ = await workflow_actions.workflow_for(conn, ctx.caller, workflow.id)
    return WorkflowOut.of(workflow, pipeline)


@router.post(
    "/workflows/{workflow_id}/rerun",
    status_code=201,
    response_model=RerunOut,
    responses=responses(400, 401, 403, 404, 409, 422),
)
async def rerun_workflow(
    request: Request,
    response: Response,
    workflow_id: str,
    body: Annotated[RerunIn | None, Body()] = None,
    request_token: Annotated[
        str | None,
        Query(max_length=255, description="The same token returns the same new workflow"),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=255, description="Same as `request_token`"),
    ] = None,
) -> RerunOut:
    """Rerun a workflow (all of it, from failed, or some jobs): a new workflow."""
    ctx = context(request)
    options = body or RerunIn()
    async with ctx.db.transaction() as conn:
        workflow, new = await workflow_actions.rerun(
            conn,
            ctx.server.runtime,
            ctx.caller,
            workflow_id,
            from_failed=options.from_failed,
            jobs=options.jobs,
            request_token=request_token or idempotency_key,
        )
    if not new:
        response.headers["Idempotent-Replayed"] = "true"
    return RerunOut(workflow_id=workflow.id, pipeline_id=workflow.pipeline_id)


@router.post(
    "/workflows/{workflow_id}/approve/{job}",
    response_model=WorkflowOut,
    responses=responses(401, 403, 404, 409),
)
async def approve_job(request: Request, workflow_id: str, job: str) -> WorkflowOut:
    """Approve a held approval job: the workflow goes on."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        workflow = await workflow_actions.approve(
            conn, ctx.server.runtime, ctx.caller, workflow_id, job
        )
        pipeline, _ = await workflow_actions.workflow_for(conn, ctx.caller, workflow.id)
    return WorkflowOut.of(workflow, pipeline)
