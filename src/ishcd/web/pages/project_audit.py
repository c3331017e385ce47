"""A project's Audit log tab (admins): who did what, newest first, as GET /v1/projects/{p}/audit."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.services import audit
from ishcd.web.project_page import open_project
from ishcd.web.routing import Page, context_of, page_number

router = APIRouter(route_class=Page, include_in_schema=False)
EVENTS_PER_PAGE = 50
MAX_ACTION = 64  # as the API's ``action`` query


@router.get("/projects/{project_ish}/audit")
async def audit_tab(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish, "admin")
    action = request.query_params.get("action", "").strip() or None
    if action is not None and len(action) > MAX_ACTION:
        raise exceptions.ValidationFailed.one("action", f"at most {MAX_ACTION} characters")
    number = page_number(request)
    ctx = context_of(request)
    async with ctx.server.database.read() as conn:
        events = await audit.project_events(
            conn,
            ctx.caller,
            page.project.id,
            action=action,
            limit=EVENTS_PER_PAGE + 1,
            offset=(number - 1) * EVENTS_PER_PAGE,
        )
    kept = urlencode({"action": action}) + "&" if action else ""
    return page.render(
        request,
        "project_audit.html",
        "audit",
        events=events[:EVENTS_PER_PAGE],
        page=number,
        has_next=len(events) > EVENTS_PER_PAGE,
        action=action,
        pager_base=f"{page.base}/audit?{kept}",
    )
