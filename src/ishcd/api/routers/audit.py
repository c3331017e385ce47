"""The audit log: a project's (its admins), and the whole site's (site admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ishcd.api import paging
from ishcd.api.deps import Authenticated, PageDep, context
from ishcd.api.schemas.access import AuditOut
from ishcd.services import audit

router = APIRouter(tags=["audit"], route_class=Authenticated)

ActionQuery = Annotated[str | None, Query(max_length=64, description="Only this action")]


@router.get(
    "/projects/{project_ish}/audit",
    response_model=list[AuditOut],
    responses=paging.responses(401, 403, 404, 422),
)
@paging.documented
async def project_audit(
    request: Request,
    response: Response,
    project_ish: str,
    page: PageDep,
    action: ActionQuery = None,
) -> list[AuditOut]:
    """Who did what in a project, and when; newest first (project admins)."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        rows = await audit.project_events(
            conn, ctx.caller, project_ish, action=action, limit=page.fetch, offset=page.offset
        )
    return [AuditOut.of(e) for e in page.finish(request, response, rows)]


@router.get("/audit", response_model=list[AuditOut], responses=paging.responses(401, 403, 422))
@paging.documented
async def site_audit(
    request: Request,
    response: Response,
    page: PageDep,
    action: ActionQuery = None,
    project: Annotated[str | None, Query(description="Only events of this project id")] = None,
) -> list[AuditOut]:
    """Everything, logins and tokens included; newest first (site admins)."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        rows = await audit.site_events(
            conn,
            ctx.caller,
            project_id=project,
            action=action,
            limit=page.fetch,
            offset=page.offset,
        )
    return [AuditOut.of(e) for e in page.finish(request, response, rows)]
