"""Project tokens: API tokens that work on one project only."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ishcd.api import paging
from ishcd.api.deps import Authenticated, PageDep, context
from ishcd.api.errors import responses
from ishcd.api.schemas.accounts import ProjectTokenCreatedOut, ProjectTokenIn, ProjectTokenOut
from ishcd.api.schemas.common import ProjectRef
from ishcd.services import tokens

router = APIRouter(tags=["project tokens"], route_class=Authenticated)

TOKENS = "/projects/{project_ish}/tokens"


@router.get(
    TOKENS, response_model=list[ProjectTokenOut], responses=paging.responses(401, 403, 404, 422)
)
@paging.documented
async def list_project_tokens(
    request: Request, response: Response, project_ish: str, page: PageDep
) -> list[ProjectTokenOut]:
    """List a project's tokens (project admins)."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        project, rows = await tokens.list_project_tokens(
            conn, ctx.caller, project_ish, page.fetch, page.offset
        )
    ref = ProjectRef(id=project.id, machine_name=project.machine_name)
    return [ProjectTokenOut.of_project(t, ref) for t in page.finish(request, response, rows)]


@router.post(
    TOKENS,
    status_code=201,
    response_model=ProjectTokenCreatedOut,
    responses=responses(400, 401, 403, 404, 422),
)
async def create_project_token(
    request: Request, project_ish: str, body: ProjectTokenIn
) -> ProjectTokenCreatedOut:
    """Create a token for this project only, e.g. `write` for a chat bot; shown once."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        project, new = await tokens.create_project_token(
            conn,
            ctx.server.keys,
            ctx.caller,
            project_ish,
            name=body.name,
            role=body.role,
            expires_in_days=body.expires,
        )
    ref = ProjectRef(id=project.id, machine_name=project.machine_name)
    out = ProjectTokenOut.of_project(new.record, ref)
    return ProjectTokenCreatedOut(**out.model_dump(), token=new.token)


@router.delete(TOKENS + "/{token_id}", status_code=204, responses=responses(401, 403, 404))
async def revoke_project_token(request: Request, project_ish: str, token_id: str) -> Response:
    """Revoke a project token (any admin of the project)."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        await tokens.revoke_project_token(conn, ctx.caller, project_ish, token_id)
    return Response(status_code=204)
