"""A project's Runs tab: its runs, newest first, filtered by status and job as the API's list."""

from __future__ import annotations

import time
from typing import get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.services import jobs, runs
from ishcd.services.run_state import Status
from ishcd.web.project_page import open_project
from ishcd.web.routing import Page, context_of, page_number

router = APIRouter(route_class=Page, include_in_schema=False)
RUNS_PER_PAGE = 50
# The job filter offers the project's first jobs by machine name; any other still
# works typed into the URL (?job=…), as it does on the API.
JOBS_LISTED = 100
STATUSES: tuple[str, ...] = get_args(Status)
MAX_JOB_FILTER = 200


def _filters(request: Request) -> tuple[str | None, str | None]:
    """``status`` and ``job`` from the query, checked as the API checks them (422)."""
    status = request.query_params.get("status") or None
    if status is not None and status not in STATUSES:
        raise exceptions.ValidationFailed.one("status", f"must be one of {', '.join(STATUSES)}")
    job = request.query_params.get("job") or None
    if job is not None and len(job) > MAX_JOB_FILTER:
        raise exceptions.ValidationFailed.one("job", f"at most {MAX_JOB_FILTER} characters")
    return status, job


@router.get("/projects/{project_ish}/runs")
async def runs_tab(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish)
    status, job = _filters(request)
    number = page_number(request)
    ctx = context_of(request)
    async with ctx.server.database.read() as conn:
        found = await runs.list_runs(
            conn,
            ctx.caller,
            page.project.id,
            job_ish=job,
            status=status,
            limit=RUNS_PER_PAGE + 1,
            offset=(number - 1) * RUNS_PER_PAGE,
        )
        _, listed_jobs = await jobs.list_jobs(conn, ctx.caller, page.project.id, JOBS_LISTED, 0)
    kept = {name: value for name, value in (("status", status), ("job", job)) if value}
    return page.render(
        request,
        "project_runs.html",
        "runs",
        runs=found[:RUNS_PER_PAGE],
        page=number,
        has_next=len(found) > RUNS_PER_PAGE,
        statuses=STATUSES,
        jobs=listed_jobs,
        status=status,
        job=job,
        now=time.time(),
        pager_base=f"{page.base}/runs?" + (urlencode(kept) + "&" if kept else ""),
    )
