"""Jobs of a project."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ishcd.api import paging
from ishcd.api.deps import Authenticated, PageDep, context
from ishcd.api.errors import responses
from ishcd.api.schemas.projects import JobIn, JobOut, JobPatch
from ishcd.services import jobs

router = APIRouter(tags=["jobs"], route_class=Authenticated)


@router.get(
    "/projects/{project_ish}/jobs",
    response_model=list[JobOut],
    responses=paging.responses(401, 404, 422),
)
@paging.documented
async def list_jobs(
    request: Request,
    response: Response,
    project_ish: str,
    page: PageDep,
) -> list[JobOut]:
    """List a project's jobs, by machine name."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        project, rows = await jobs.list_jobs(conn, ctx.caller, project_ish, page.fetch, page.offset)
    return [JobOut.of(j, project) for j in page.finish(request, response, rows)]


@router.post(
    "/projects/{project_ish}/jobs",
    status_code=201,
    response_model=JobOut,
    responses=responses(400, 401, 403, 404, 409, 422),
)
async def create_job(request: Request, project_ish: str, body: JobIn) -> JobOut:
    """Create a job: a named shell script with declared variables.

    The official JavaScript client's shape works too: `{"label": "Backup",
    "name": "backup", "rawCommands": "…"}` (display name, machine name, script).
    """
    ctx = context(request)
    names = body.names()
    async with ctx.db.transaction() as conn:
        project, job = await jobs.create_job(
            conn,
            ctx.caller,
            project_ish,
            ctx.server.vault,
            name=names["name"],
            machine_name=names.get("machine_name"),
            description=body.description,
            script=body.the_script,
            declared=[v.model_dump() for v in body.variables],
            timeout=body.timeout,
            labels=body.labels,
            retry=body.retry.count,
            retry_only_lost=body.retry.only_lost,
            outputs=body.outputs_sent(),
            limits=ctx.server.limits,
        )
    return JobOut.of(job, project)


@router.get(
    "/projects/{project_ish}/jobs/{job_ish}", response_model=JobOut, responses=responses(401, 404)
)
async def get_job(request: Request, project_ish: str, job_ish: str) -> JobOut:
    """Read a job, by id or machine name."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        project, job = await jobs.get_job(conn, ctx.caller, project_ish, job_ish)
    return JobOut.of(job, project)


@router.patch(
    "/projects/{project_ish}/jobs/{job_ish}",
    response_model=JobOut,
    responses=responses(400, 401, 403, 404, 409, 422),
)
async def update_job(request: Request, project_ish: str, job_ish: str, body: JobPatch) -> JobOut:
    """Change a job; runs already created keep the script and env they had.

    With `label`, `label` is the display name and `name` the machine name;
    `rawCommands` is the script.
    """
    ctx = context(request)
    changes = body.changes()
    async with ctx.db.transaction() as conn:
        project, job = await jobs.update_job(
            conn, ctx.caller, project_ish, job_ish, ctx.server.vault, changes, ctx.server.limits
        )
    return JobOut.of(job, project)


@router.delete(
    "/projects/{project_ish}/jobs/{job_ish}",
    status_code=204,
    responses=responses(401, 403, 404, 409),
)
async def delete_job(request: Request, project_ish: str, job_ish: str) -> Response:
    """Delete a job with its runs and logs (none may be queued or running)."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        await jobs.delete_job(conn, ctx.caller, project_ish, job_ish, ctx.server.logs)
    return Response(status_code=204)
