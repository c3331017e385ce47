"""What a pipeline's page lets writers do: stop, promote, approve, rerun, cancel.

Each form is one API operation, through the service its route calls:
``POST /v1/pipelines/{id}/stop``, ``…/promotions``, ``/v1/workflows/{id}/approve/{job}``,
``…/rerun``, ``…/cancel``. The services check the caller's role, so a reader who
posts anyway gets their 403.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.api.schemas.pipelines import PromotionIn, RerunIn
from ishcd.db.database import Connection
from ishcd.db.pipelines import PipelineRecord, WorkflowRecord
from ishcd.services import pipelines, promotions, workflow_actions
from ishcd.services.principal import Caller
from ishcd.web.pages.pipelines import pipeline_number
from ishcd.web.project_page import ProjectPage, open_project
from ishcd.web.render import redirect
from ishcd.web.routing import Page, read_form, server_of, validate

router = APIRouter(route_class=Page, include_in_schema=False)
PIPELINE = "/projects/{project_ish}/pipelines/{number}"
WORKFLOW = PIPELINE + "/workflows/{workflow_id}"


async def _form(request: Request, project_ish: str) -> tuple[ProjectPage, dict[str, str]]:
    page = await open_project(request, project_ish)
    return page, await read_form(request, page.session)


async def _workflow(
    conn: Connection, caller: Caller, page: ProjectPage, number: str, workflow_id: str
) -> tuple[PipelineRecord, WorkflowRecord]:
    """The workflow of the pipeline in the URL (404 for one of another pipeline)."""
    pipeline = await pipelines.pipeline_by_number(
        conn, caller, page.project.id, pipeline_number(number)
    )
    _, workflow = await workflow_actions.workflow_for(conn, caller, workflow_id)
    if workflow.pipeline_id != pipeline.id:
        raise exceptions.NotFound(f"workflow {workflow_id!r} not found")
    return pipeline, workflow


def _back(page: ProjectPage, pipeline: PipelineRecord, notice: str) -> Response:
    return redirect(f"{page.base}/pipelines/{pipeline.number}", notice)


@router.post(PIPELINE + "/stop")
async def stop(request: Request, project_ish: str, number: str) -> Response:
    page, _ = await _form(request, project_ish)
    server, caller = server_of(request), page.session.caller
    async with server.database.transaction() as conn:
        found = await pipelines.pipeline_by_number(
            conn, caller, page.project.id, pipeline_number(number)
        )
        stopped = await pipelines.stop_pipeline(conn, server.runtime, caller, found.id)
    return _back(page, stopped, f"Pipeline #{stopped.number} stopped")


@router.post(PIPELINE + "/promotions")
async def promote(request: Request, project_ish: str, number: str) -> Response:
    page, form = await _form(request, project_ish)
    body = validate(
        PromotionIn, {"name": form.get("name", ""), "override": form.get("override") == "true"}
    )
    server, caller = server_of(request), page.session.caller
    async with server.database.transaction() as conn:
        found = await pipelines.pipeline_by_number(
            conn, caller, page.project.id, pipeline_number(number)
        )
        promotion = await promotions.promote(
            conn, server.runtime, caller, found.id, name=body.name, override=body.override
        )
        started = None
        if promotion.scheduled_pipeline_id is not None:
            started = await pipelines.pipeline_for(conn, caller, promotion.scheduled_pipeline_id)
    what = f"started pipeline #{started.number}" if started else "failed"
    return _back(page, found, f"Promotion {promotion.name} {what}")


@router.post(WORKFLOW + "/approve")
async def approve(request: Request, project_ish: str, number: str, workflow_id: str) -> Response:
    page, form = await _form(request, project_ish)
    job = form.get("job", "")
    if not job:
        raise exceptions.ValidationFailed.one("job", "name the approval job to approve")
    server, caller = server_of(request), page.session.caller
    async with server.database.transaction() as conn:
        pipeline, workflow = await _workflow(conn, caller, page, number, workflow_id)
        await workflow_actions.approve(conn, server.runtime, caller, workflow.id, job[:200])
    return _back(page, pipeline, f"Approved {job[:200]} in workflow {workflow.name}")


@router.post(WORKFLOW + "/rerun")
async def rerun(request: Request, project_ish: str, number: str, workflow_id: str) -> Response:
    page, form = await _form(request, project_ish)
    options = validate(RerunIn, {"from_failed": form.get("from_failed", "false")})
    token = form.get("request_token") or None
    if token is not None and len(token) > 255:
        raise exceptions.ValidationFailed.one("request_token", "at most 255 characters")
    server, caller = server_of(request), page.session.caller
    async with server.database.transaction() as conn:
        pipeline, workflow = await _workflow(conn, caller, page, number, workflow_id)
        await workflow_actions.rerun(
            conn,
            server.runtime,
            caller,
            workflow.id,
            from_failed=options.from_failed,
            jobs=None,
            request_token=token,
        )
    how = "from failed" if options.from_failed else "in full"
    return _back(page, pipeline, f"Workflow {workflow.name} rerun {how}")


@router.post(WORKFLOW + "/cancel")
async def cancel(request: Request, project_ish: str, number: str, workflow_id: str) -> Response:
    page, _ = await _form(request, project_ish)
    server, caller = server_of(request), page.session.caller
    async with server.database.transaction() as conn:
        pipeline, workflow = await _workflow(conn, caller, page, number, workflow_id)
        await workflow_actions.cancel(conn, server.runtime, caller, workflow.id)
    return _back(page, pipeline, f"Workflow {workflow.name} canceled")
