"""Pipelines and their promotions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from ishcd.api import paging
from ishcd.api.deps import MAX_INT32, Authenticated, PageDep, context
from ishcd.api.errors import responses
from ishcd.api.schemas.pipelines import (
    PipelineConfigOut,
    PipelineCreatedOut,
    PipelineIn,
    PipelineOut,
    PipelineParametersOut,
    PipelineStatus,
    PromotionIn,
    PromotionOut,
    WorkflowOut,
)
from ishcd.db import pipelines as pipelines_db
from ishcd.db.database import Connection
from ishcd.db.pipelines import PipelineRecord
from ishcd.services import pipeline_parameters, pipelines, promotions

router = APIRouter(tags=["pipelines"], route_class=Authenticated)


async def _out(conn: Connection, pipeline: PipelineRecord) -> PipelineOut:
    parent_number = None
    if pipeline.parent_id is not None:
        parent = await pipelines_db.get_pipeline(conn, pipeline.parent_id)
        parent_number = parent.number if parent else None
    return PipelineOut.of(pipeline, parent_number)


@router.post(
    "/projects/{project_ish}/pipelines",
    status_code=201,
    response_model=PipelineCreatedOut,
    responses=responses(400, 401, 403, 404, 422),
)
async def trigger_pipeline(
    request: Request, project_ish: str, body: PipelineIn
) -> PipelineCreatedOut:
    """Trigger a pipeline: the project's config at a branch, tag or revision (or one sent)."""
    ctx = context(request)
    pipeline = await pipelines.trigger_pipeline(
        ctx.db,
        ctx.server.runtime,
        ctx.caller,
        project_ish,
        branch=body.branch,
        tag=body.tag,
        revision=body.revision,
        parameters=body.parameters,
        config=body.config,
    )
    return PipelineCreatedOut(
        id=pipeline.id,
        number=pipeline.number,
        status=pipeline.status,
        created=int(pipeline.created),
    )


@router.get(
    "/projects/{project_ish}/pipelines",
    response_model=list[PipelineOut],
    responses=paging.responses(401, 404, 422),
)
@paging.documented
async def list_pipelines(
    request: Request,
    response: Response,
    project_ish: str,
    page: PageDep,
    branch: Annotated[str | None, Query(max_length=255)] = None,
    status: Annotated[PipelineStatus | None, Query()] = None,
    mine: Annotated[bool, Query(description="Only pipelines you triggered")] = False,
) -> list[PipelineOut]:
    """List a project's pipelines, newest first."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        rows = await pipelines.list_pipelines(
            conn,
            ctx.caller,
            project_ish,
            branch=branch,
            status=status,
            mine=mine,
            limit=page.fetch,
            offset=page.offset,
        )
        return [await _out(conn, p) for p in page.finish(request, response, rows)]


@router.get(
    "/projects/{project_ish}/pipelines/parameters",
    response_model=PipelineParametersOut,
    responses=responses(401, 404, 409, 422),
)
async def get_pipeline_parameters(
    request: Request,
    project_ish: str,
    branch: Annotated[
        str | None, Query(max_length=255, description="The default branch if nothing is named")
    ] = None,
    tag: Annotated[
        str | None, Query(max_length=255, description="A tag instead of a branch")
    ] = None,
    revision: Annotated[
        str | None, Query(max_length=64, description="A commit (on the branch or tag, if named)")
    ] = None,
) -> PipelineParametersOut:
    """The parameters a trigger takes: the project's config read at a branch, tag or
    revision (the default branch if none), as a trigger reads it; nothing is created."""
    ctx = context(request)
    declared = await pipeline_parameters.declared_parameters(
        ctx.db,
        ctx.server.runtime,
        ctx.caller,
        project_ish,
        branch=branch,
        tag=tag,
        revision=revision,
    )
    return PipelineParametersOut.of(declared)


@router.get(
    "/projects/{project_ish}/pipelines/{number}",
    response_model=PipelineOut,
    responses=responses(401, 404, 422),
)
async def get_pipeline_by_number(
    request: Request,
    project_ish: str,
    number: Annotated[int, Path(ge=1, le=MAX_INT32, description="The pipeline's number")],
) -> PipelineOut:
    """Read a project's pipeline by its number."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        pipeline = await pipelines.pipeline_by_number(conn, ctx.caller, project_ish, number)
        return await _out(conn, pipeline)


@router.get("/pipelines/{pipeline_id}", response_model=PipelineOut, responses=responses(401, 404))
async def get_pipeline(request: Request, pipeline_id: str) -> PipelineOut:
    """Read a pipeline: trigger, commit, parameters, errors, status."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        pipeline = await pipelines.pipeline_for(conn, ctx.caller, pipeline_id)
        return await _out(conn, pipeline)


@router.get(
    "/pipelines/{pipeline_id}/config",
    response_model=PipelineConfigOut,
    responses=responses(401, 404),
)
async def get_pipeline_config(request: Request, pipeline_id: str) -> PipelineConfigOut:
    """A pipeline's config: as read, and as compiled into a plan."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        pipeline = await pipelines.pipeline_for(conn, ctx.caller, pipeline_id)
    return PipelineConfigOut(
        file=pipeline.config_file, source=pipeline.config_source, compiled=pipeline.plan
    )


@router.get(
    "/pipelines/{pipeline_id}/workflows",
    response_model=list[WorkflowOut],
    responses=responses(401, 404),
)
async def list_workflows(request: Request, pipeline_id: str) -> list[WorkflowOut]:
    """A pipeline's workflows (reruns included), oldest first."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        pipeline, rows = await pipelines.workflows_of(conn, ctx.caller, pipeline_id)
    return [WorkflowOut.of(w, pipeline) for w in rows]


@router.post(
    "/pipelines/{pipeline_id}/stop",
    response_model=PipelineOut,
    responses=responses(401, 403, 404, 409),
)
async def stop_pipeline(request: Request, pipeline_id: str) -> PipelineOut:
    """Stop a pipeline: every workflow is canceled and its runs' processes stopped."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        pipeline = await pipelines.stop_pipeline(conn, ctx.server.runtime, ctx.caller, pipeline_id)
        return await _out(conn, pipeline)


@router.get(
    "/pipelines/{pipeline_id}/promotions",
    response_model=list[PromotionOut],
    responses=responses(401, 404),
)
async def list_promotions(request: Request, pipeline_id: str) -> list[PromotionOut]:
    """A pipeline's promotions, automatic and by hand."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        rows = await promotions.list_promotions(conn, ctx.caller, pipeline_id)
    return [PromotionOut.of(p) for p in rows]


@router.post(
    "/pipelines/{pipeline_id}/promotions",
    status_code=201,
    response_model=PromotionOut,
    responses=responses(400, 401, 403, 404, 409, 422),
)
async def promote(request: Request, pipeline_id: str, body: PromotionIn) -> PromotionOut:
    """Promote a pipeline by hand: start the follow-on pipeline its config names."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        promotion = await promotions.promote(
            conn,
            ctx.server.runtime,
            ctx.caller,
            pipeline_id,
            name=body.name,
            override=body.override,
        )
    return PromotionOut.of(promotion)
