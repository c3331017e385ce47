"""Project environment variables (as CircleCI's envvar endpoints)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ishcd.api import paging
from ishcd.api.deps import Authenticated, PageDep, context
from ishcd.api.errors import responses
from ishcd.api.schemas.access import EnvvarIn, EnvvarOut
from ishcd.services import envvars

router = APIRouter(tags=["environment variables"], route_class=Authenticated)

ENVVARS = "/projects/{project_ish}/envvars"


@router.get(ENVVARS, response_model=list[EnvvarOut], responses=paging.responses(401, 404, 422))
@paging.documented
async def list_envvars(
    request: Request, response: Response, project_ish: str, page: PageDep
) -> list[EnvvarOut]:
    """List a project's environment variables, values masked."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        rows = await envvars.list_envvars(conn, ctx.caller, project_ish, page.fetch, page.offset)
    return [EnvvarOut.of(e) for e in page.finish(request, response, rows)]


@router.post(
    ENVVARS,
    status_code=201,
    response_model=EnvvarOut,
    responses=responses(400, 401, 403, 404, 422),
)
async def set_envvar(request: Request, project_ish: str, body: EnvvarIn) -> EnvvarOut:
    """Create an environment variable every run of the project gets (or replace its value)."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        record = await envvars.set_envvar(
            conn,
            ctx.caller,
            project_ish,
            ctx.server.vault,
            body.name,
            body.value,
            ctx.server.limits,
        )
    return EnvvarOut.of(record)


@router.get(ENVVARS + "/{name}", response_model=EnvvarOut, responses=responses(401, 404))
async def get_envvar(request: Request, project_ish: str, name: str) -> EnvvarOut:
    """Read an environment variable, value masked."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        return EnvvarOut.of(await envvars.get_envvar(conn, ctx.caller, project_ish, name))


@router.delete(ENVVARS + "/{name}", status_code=204, responses=responses(401, 403, 404))
async def delete_envvar(request: Request, project_ish: str, name: str) -> Response:
    """Delete an environment variable."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        await envvars.delete_envvar(conn, ctx.caller, project_ish, name)
    return Response(status_code=204)
