"""The dashboard: the Projects tab, where signing in lands."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ishcd.services import overview
from ishcd.web.render import redirect, render
from ishcd.web.routing import Page, Public, maybe_session, page_number, server_of, session_of

router = APIRouter(route_class=Page, include_in_schema=False)
home = APIRouter(route_class=Public, include_in_schema=False)
PER_PAGE = 50


@home.get("/")
async def root(request: Request) -> Response:
    """Signed in: the Projects tab; else the login page."""
    return redirect("/projects" if maybe_session(request) is not None else "/login")


@router.get("/projects")
async def projects_tab(request: Request) -> Response:
    session = session_of(request)
    page = page_number(request)
    async with server_of(request).database.read() as conn:
        found = await overview.list_project_overviews(
            conn, session.caller, PER_PAGE + 1, (page - 1) * PER_PAGE
        )
    return render(
        request,
        "projects.html",
        session,
        overviews=found[:PER_PAGE],
        page=page,
        has_next=len(found) > PER_PAGE,
    )
