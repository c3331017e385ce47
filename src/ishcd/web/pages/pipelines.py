"""The Pipelines tab and a pipeline's page: its workflows drawn as graphs of their jobs.

Both read through the services the API's pipeline and workflow routes call, and
show the API's own shapes (``PipelineOut``, ``WorkflowOut``, ``WorkflowJobOut``,
``PromotionOut``), which the page's script polls to keep the statuses live.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.api.schemas.pipelines import (
    PipelineOut,
    PipelineStatus,
    PromotionOut,
    WorkflowJobOut,
    WorkflowOut,
)
from ishcd.db.database import Connection
from ishcd.db.pipelines import PipelineRecord
from ishcd.services import pipeline_state, pipelines, promotions, workflow_actions
from ishcd.services.principal import Caller
from ishcd.web import pipeline_graph
from ishcd.web.pipeline_graph import Graph, GraphJob
from ishcd.web.project_page import open_project
from ishcd.web.routing import Page, page_number, server_of

router = APIRouter(route_class=Page, include_in_schema=False)
PER_PAGE = 30
STATUSES: tuple[str, ...] = get_args(PipelineStatus)
FINISHED = ("complete", "error")
MAX_NUMBER = 2**31 - 1


def pipeline_number(text: str) -> int:
    """A pipeline's number from a URL; a 404 for anything that is not one."""
    if not text.isdigit() or not 1 <= int(text) <= MAX_NUMBER:
        raise exceptions.NotFound(f"pipeline {text[:40]!r} not found")
    return int(text)


def took(started: float | None, finished: float | None) -> float | None:
    """How long something ran: until it finished, or until now while it runs."""
    if started is None:
        return None
    return max(0.0, (finished if finished is not None else time.time()) - started)


@router.get("/projects/{project_ish}/pipelines")
async def pipelines_tab(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish)
    number = page_number(request)
    status = request.query_params.get("status") or None
    branch = (request.query_params.get("branch") or "").strip()[:255] or None
    if status is not None and status not in STATUSES:
        raise exceptions.ValidationFailed.one("status", "must be one of " + ", ".join(STATUSES))
    async with server_of(request).database.read() as conn:
        found = await pipelines.list_pipelines(
            conn,
            page.session.caller,
            page.project.id,
            branch=branch,
            status=status,
            mine=False,
            limit=PER_PAGE + 1,
            offset=(number - 1) * PER_PAGE,
        )
        shown = found[:PER_PAGE]
        current = await pipelines.current_workflows(conn, shown)
    rows = [
        (
            PipelineOut.of(p),
            [WorkflowOut.of(w, p) for w in current[p.id]],
            took(p.started, p.finished),
        )
        for p in shown
    ]
    kept = [(k, v) for k, v in (("status", status), ("branch", branch)) if v]
    query = urlencode(kept) + "&" if kept else ""
    return page.render(
        request,
        "pipeline_list.html",
        "pipelines",
        rows=rows,
        page=number,
        has_next=len(found) > PER_PAGE,
        status=status,
        branch=branch,
        statuses=STATUSES,
        query=query,
    )


@dataclass(frozen=True)
class WorkflowView:
    workflow: WorkflowOut
    jobs: list[WorkflowJobOut]
    durations: dict[str, float | None]  # by job name
    graph: Graph
    current: bool  # not replaced by a rerun
    request_token: str  # makes a rerun posted twice one rerun


async def _workflows(
    conn: Connection, caller: Caller, pipeline: PipelineRecord
) -> list[WorkflowView]:
    _, records = await pipelines.workflows_of(conn, caller, pipeline.id)
    latest = {w.id for w in pipeline_state.latest(records)}
    views = []
    for record in records:
        _, job_views = await workflow_actions.job_views(conn, caller, record.id)
        jobs = [WorkflowJobOut.of(view) for view in job_views]
        graph = pipeline_graph.layout(
            [
                GraphJob(
                    name=job.name,
                    source=str(view.job.spec.get("job", job.name)),
                    type=job.type,
                    status=job.status,
                    error_reason=job.error_reason,
                    requires=tuple(job.requires),
                    matrix=job.matrix,
                    run_id=job.run_id,
                )
                for job, view in zip(jobs, job_views, strict=True)
            ]
        )
        durations = {job.name: took(job.started, job.finished) for job in jobs}
        views.append(
            WorkflowView(
                workflow=WorkflowOut.of(record, pipeline),
                jobs=jobs,
                durations=durations,
                graph=graph,
                current=record.id in latest,
                request_token=secrets.token_urlsafe(16),
            )
        )
    # The current workflows first, each rerun's predecessors after.
    return sorted(views, key=lambda v: (not v.current, -v.workflow.created))


async def _promotions(
    conn: Connection, caller: Caller, pipeline: PipelineRecord
) -> list[tuple[PromotionOut, int | None]]:
    """The pipeline's promotions, each with the number of the pipeline it started."""
    shown = []
    for record in await promotions.list_promotions(conn, caller, pipeline.id):
        number = None
        if record.scheduled_pipeline_id is not None:
            scheduled = await pipelines.pipeline_for(conn, caller, record.scheduled_pipeline_id)
            number = scheduled.number
        shown.append((PromotionOut.of(record), number))
    return shown


async def pipeline_view(
    conn: Connection, caller: Caller, project_id: str, number: int
) -> dict[str, Any]:
    """Everything a pipeline's page shows."""
    record = await pipelines.pipeline_by_number(conn, caller, project_id, number)
    parent_number = None
    if record.parent_id is not None:
        parent_number = (await pipelines.pipeline_for(conn, caller, record.parent_id)).number
    plan = pipelines.plan_of(record)
    return {
        "pipeline": PipelineOut.of(record, parent_number),
        "duration": took(record.started, record.finished),
        "workflows": await _workflows(conn, caller, record),
        "promotions": await _promotions(conn, caller, record),
        "promotion_names": [p.name for p in plan.promotions] if plan else [],
        "auto_promotions": [
            p for p in (plan.promotions if plan else ()) if p.auto_branch or p.auto_result
        ],
        "finished": record.status in FINISHED,
        "config_source": record.config_source,
        "again": _again(record),
    }


def _again(pipeline: PipelineRecord) -> str | None:
    """The trigger form's query that fills it in as this pipeline was triggered (None for
    a promotion, or a config sent with the trigger: the form cannot carry those)."""
    if pipeline.trigger_type != "api" or pipeline.config_file == pipeline_state.INLINE:
        return None
    values: list[tuple[str, str]] = []
    if pipeline.tag is not None:
        values.append(("tag", pipeline.tag))
    elif pipeline.branch is not None:
        values.append(("branch", pipeline.branch))
    for name, value in pipeline.parameters.items():
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        values.append((f"param.{name}", text))
    return urlencode(values)


@router.get("/projects/{project_ish}/pipelines/{number}")
async def pipeline_page(request: Request, project_ish: str, number: str) -> Response:
    page = await open_project(request, project_ish)
    wanted = pipeline_number(number)
    async with server_of(request).database.read() as conn:
        view = await pipeline_view(conn, page.session.caller, page.project.id, wanted)
    return page.render(request, "pipeline_show.html", "pipelines", **view)
