"""A project's status badge, on its Settings tab: public or not, and a new badge key.

Each form calls what the API calls (PATCH /v1/projects/{p} with public_badges,
POST /v1/projects/{p}/badge-key), with the same checks.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ishcd.services import badges, projects
from ishcd.web.project_page import open_project
from ishcd.web.render import redirect
from ishcd.web.routing import Page, context_of, read_form

router = APIRouter(route_class=Page, include_in_schema=False)


@router.post("/projects/{project_ish}/settings/badges")
async def set_public_badges(request: Request, project_ish: str) -> Response:
    """The checkbox ``public_badges``: checked (sent) or not."""
    page = await open_project(request, project_ish, "admin")
    form = await read_form(request, page.session)
    public = form.get("public_badges") == "on"
    ctx = context_of(request)
    if public != bool(page.project.public_badges):
        async with ctx.server.database.transaction() as conn:
            await projects.update_project(
                conn,
                ctx.caller,
                page.project.id,
                {"public_badges": public},
                ctx.server.settings.log_retention_days,
            )
    notice = "Badges are public." if public else "Badges need the badge key."
    return redirect(f"{page.base}/settings#badges", notice)


@router.post("/projects/{project_ish}/settings/badge-key")
async def rotate_badge_key(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish, "admin")
    await read_form(request, page.session)
    ctx = context_of(request)
    async with ctx.server.database.transaction() as conn:
        await badges.rotate_key(conn, ctx.caller, page.project.id)
    notice = "New badge key made: update the badge's link wherever it is shown."
    return redirect(f"{page.base}/settings#badges", notice)
