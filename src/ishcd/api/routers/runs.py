"""Runs: start, read, list, cancel (their logs: ``logs``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, Response

from ishcd.api import paging
from ishcd.api.deps import MAX_INT32, Authenticated, Context, PageDep, PathOnly, context
from ishcd.api.errors import responses
from ishcd.api.schemas.runs import RunIn, RunOut, run_json
from ishcd.services import log_sections, logs, runs, test_reports
from ishcd.services.run_state import Status

router = APIRouter(tags=["runs"], route_class=Authenticated)
# Reading one run, the endpoint clients poll: see PathOnly.
reads = APIRouter(tags=["runs"], route_class=PathOnly)

JOB_RUNS = "/projects/{project_ish}/jobs/{job_ish}/runs"
JOB_RUN = JOB_RUNS + "/{run_id}"
# The start of a UUID: at least 4 hex digits first, then hex digits and dashes.
ID_PREFIX_PATTERN = r"^[0-9a-fA-F]{4}[0-9a-fA-F-]{0,32}$"
StatusQuery = Annotated[Status | None, Query(description="Only runs in this status")]


async def _read(ctx: Context, run_id: str, **where: str | None) -> Response:
    async with ctx.db.read() as conn:
        run = await runs.get_run(conn, ctx.caller, run_id, **where)
        tests = await test_reports.run_totals(conn, run)
    server = ctx.server
    sections = await log_sections.run_sections(server.logs, run)
    inline = await logs.inline_log(server.logs, run)
    return run_json(run, inline, sections=sections, tests=tests)


@router.post(
    JOB_RUNS,
    status_code=201,
    response_model=RunOut,
    responses=responses(400, 401, 403, 404, 409, 422),
)
async def create_run(
    request: Request,
    project_ish: str,
    job_ish: str,
    body: Annotated[RunIn | None, Body()] = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=255,
            description="The same key on the same job returns the first run",
        ),
    ] = None,
    request_token: Annotated[
        str | None, Query(max_length=255, description="Same as the Idempotency-Key header")
    ] = None,
) -> Response:
    """Start a run of a job: queue it with `env` values for the job's variables."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        created = await runs.create_run(
            conn,
            ctx.caller,
            project_ish,
            job_ish,
            env=(body.env if body and body.env else {}),
            idempotency_key=idempotency_key or request_token,
            default_timeout=ctx.server.settings.default_job_timeout,
            signals=ctx.server.signals,
            vault=ctx.server.vault,
            limits=ctx.server.limits,
        )
    answer = run_json(created.run, status_code=201)
    if created.replayed:
        answer.headers["Idempotent-Replayed"] = "true"
    return answer


@router.get(JOB_RUNS, response_model=list[RunOut], responses=paging.responses(401, 404, 422))
@paging.documented
async def list_job_runs(
    request: Request,
    response: Response,
    project_ish: str,
    job_ish: str,
    page: PageDep,
    status: StatusQuery = None,
) -> list[RunOut]:
    """List a job's runs, newest first."""
    ctx = context(request)
    return await _list(request, response, ctx, project_ish, job_ish, status, page)


@router.get(
    "/projects/{project_ish}/runs",
    response_model=list[RunOut],
    responses=paging.responses(401, 404, 422),
)
@paging.documented
async def list_project_runs(
    request: Request,
    response: Response,
    project_ish: str,
    page: PageDep,
    status: StatusQuery = None,
    job: Annotated[str | None, Query(description="Only runs of this job (id or machine name)")] = (
        None
    ),
    pipeline: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_INT32,
            description="Only the runs of this pipeline's jobs (the pipeline's number)",
        ),
    ] = None,
) -> list[RunOut]:
    """List a project's runs, newest first."""
    ctx = context(request)
    return await _list(request, response, ctx, project_ish, job, status, page, pipeline)


@router.get("/runs", response_model=list[RunOut], responses=paging.responses(401, 422))
@paging.documented
async def find_runs(
    request: Request,
    response: Response,
    page: PageDep,
    id_prefix: Annotated[
        str,
        Query(
            min_length=4,
            max_length=36,
            pattern=ID_PREFIX_PATTERN,
            description="The start of a run id: at least 4 hex digits (dashes where the id "
            "has them; any case)",
            examples=["3f2a9c"],
        ),
    ],
) -> list[RunOut]:
    """Find the runs you can see whose id starts with `id_prefix`, newest first.

    For clients that let people type a short run id: ask with `per_page=2` (or a
    few more), and one run back means the prefix is unique.
    """
    ctx = context(request)
    async with ctx.db.read() as conn:
        rows = await runs.find_runs(
            conn, ctx.caller, id_prefix, limit=page.fetch, offset=page.offset
        )
    return [RunOut.of(run) for run in page.finish(request, response, rows)]


async def _list(
    request: Request,
    response: Response,
    ctx: Context,
    project_ish: str,
    job_ish: str | None,
    status: str | None,
    page: PageDep,
    pipeline: int | None = None,
) -> list[RunOut]:
    async with ctx.db.read() as conn:
        rows = await runs.list_runs(
            conn,
            ctx.caller,
            project_ish,
            job_ish=job_ish,
            status=status,
            limit=page.fetch,
            offset=page.offset,
            pipeline_number=pipeline,
        )
    return [RunOut.of(run) for run in page.finish(request, response, rows)]


@reads.get(JOB_RUN, response_model=RunOut, responses=responses(401, 404))
async def get_run(request: Request, project_ish: str, job_ish: str, run_id: str) -> Response:
    """Read a run; poll it until its status is `complete` or `error`."""
    ctx = context(request)
    return await _read(ctx, run_id, project_ish=project_ish, job_ish=job_ish)


@reads.get("/runs/{run_id}", response_model=RunOut, responses=responses(401, 404))
async def get_run_by_id(request: Request, run_id: str) -> Response:
    """Read any run you can see, by its id alone."""
    ctx = context(request)
    return await _read(ctx, run_id)


@reads.get(
    "/projects/{project_ish}/{job_ish}/run/{run_id}",
    response_model=RunOut,
    responses=responses(401, 404),
    deprecated=True,
)
async def get_run_legacy(request: Request, project_ish: str, job_ish: str, run_id: str) -> Response:
    """Read a run at the path older JavaScript clients use; prefer the `/jobs/…/runs/…` one."""
    ctx = context(request)
    return await _read(ctx, run_id, project_ish=project_ish, job_ish=job_ish)


async def _cancel(ctx: Context, run_id: str, **where: str | None) -> Response:
    async with ctx.db.transaction() as conn:
        run = await runs.cancel_run(conn, ctx.caller, run_id, runtime=ctx.server.runtime, **where)
    server = ctx.server
    sections = await log_sections.run_sections(server.logs, run)
    return run_json(run, await logs.inline_log(server.logs, run), sections=sections)


@router.post(JOB_RUN + "/cancel", response_model=RunOut, responses=responses(401, 403, 404, 409))
async def cancel_run(request: Request, project_ish: str, job_ish: str, run_id: str) -> Response:
    """Cancel a run: a queued one ends at once, a running one's processes are stopped."""
    ctx = context(request)
    return await _cancel(ctx, run_id, project_ish=project_ish, job_ish=job_ish)


@router.post(
    "/runs/{run_id}/cancel", response_model=RunOut, responses=responses(401, 403, 404, 409)
)
async def cancel_run_by_id(request: Request, run_id: str) -> Response:
    """Cancel a run by its id alone."""
    ctx = context(request)
    return await _cancel(ctx, run_id)
