"""Projects."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ishcd.api import paging
from ishcd.api.deps import Authenticated, PageDep, context, public_base
from ishcd.api.errors import responses
from ishcd.api.schemas.projects import ProjectIn, ProjectOut, ProjectPatch
from ishcd.services import badges, projects

router = APIRouter(tags=["projects"], route_class=Authenticated)


@router.get("/projects", response_model=list[ProjectOut], responses=paging.responses(401, 422))
@paging.documented
async def list_projects(request: Request, response: Response, page: PageDep) -> list[ProjectOut]:
    """List the projects you can see, by machine name."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        rows = await projects.list_projects(conn, ctx.caller, page.fetch, page.offset)
    base = public_base(request)
    return [
        ProjectOut.of(await badges.ensure_key(ctx.db, p), base)
        for p in page.finish(request, response, rows)
    ]


@router.post(
    "/projects",
    status_code=201,
    response_model=ProjectOut,
    responses=responses(400, 401, 403, 409, 422),
)
async def create_project(request: Request, body: ProjectIn) -> ProjectOut:
    """Create a project; you become its admin.

    `{"name": "my-site", "label": "My Site"}` (the official JavaScript client's
    shape) names the machine name `my-site` and the display name `My Site`.
    """
    ctx = context(request)
    names = body.names()
    async with ctx.db.transaction() as conn:
        project = await projects.create_project(
            conn,
            ctx.caller,
            name=names["name"],
            machine_name=names.get("machine_name"),
            description=body.description,
            repository=body.repository,
            default_branch=body.default_branch,
            log_retention_days=body.log_retention_days,
            server_retention_days=ctx.server.settings.log_retention_days,
        )
    return ProjectOut.of(project, public_base(request))


@router.get("/projects/{project_ish}", response_model=ProjectOut, responses=responses(401, 404))
async def get_project(request: Request, project_ish: str) -> ProjectOut:
    """Read a project, by id or machine name.

    `badge` has the URL of its status badge and the Markdown that shows it. The URL
    carries the project's badge key unless badges are public: the key shows this
    project's badges and nothing else, so readers see it too (docs/badges.md).
    """
    ctx = context(request)
    async with ctx.db.read() as conn:
        project = await projects.get_project(conn, ctx.caller, project_ish)
    project = await badges.ensure_key(ctx.db, project)
    return ProjectOut.of(project, public_base(request))


@router.patch(
    "/projects/{project_ish}",
    response_model=ProjectOut,
    responses=responses(400, 401, 403, 404, 409, 422),
)
async def update_project(request: Request, project_ish: str, body: ProjectPatch) -> ProjectOut:
    """Change a project's name, machine name, description, repository, log retention,
    public badges or artifact expiry.

    With `label`, `label` is the display name and `name` the machine name.
    """
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        project = await projects.update_project(
            conn,
            ctx.caller,
            project_ish,
            body.changes(),
            ctx.server.settings.log_retention_days,
        )
    project = await badges.ensure_key(ctx.db, project)
    return ProjectOut.of(project, public_base(request))


@router.delete("/projects/{project_ish}", status_code=204, responses=responses(401, 403, 404, 409))
async def delete_project(request: Request, project_ish: str) -> Response:
    """Delete a project with its jobs, runs and logs (none may be queued or running)."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        await projects.delete_project(
            conn, ctx.caller, project_ish, ctx.server.logs, ctx.server.mirrors
        )
    return Response(status_code=204)
