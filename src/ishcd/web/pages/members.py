"""A project's Members tab: members and invitations; admins add, change roles, remove, invite.

Each form calls what api/routers/members.py calls, with the same refusals (the
last admin stays, a user is a member once, an email is invited once). Adding
someone by email is the API's add then invite: the page shows the acceptance
link once, for the admin to send.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.api import errors
from ishcd.api.deps import public_link
from ishcd.api.schemas.access import MemberIn, MemberPatch
from ishcd.services import members
from ishcd.services.members import Invitation
from ishcd.web.pages.projects import problems_of
from ishcd.web.project_page import ProjectPage, open_project
from ishcd.web.render import redirect
from ishcd.web.routing import Page, context_of, page_number, read_form, validate

router = APIRouter(route_class=Page, include_in_schema=False)
MEMBERS_PER_PAGE = 100
MAX_WHO = 320
ROLES = ("read", "write", "admin")


async def _page(
    request: Request, page: ProjectPage, status_code: int = 200, **extra: Any
) -> Response:
    number = page_number(request) if request.method == "GET" else 1
    ctx = context_of(request)
    async with ctx.server.database.read() as conn:
        found = await members.list_members(
            conn,
            ctx.caller,
            page.project.id,
            MEMBERS_PER_PAGE + 1,
            (number - 1) * MEMBERS_PER_PAGE,
        )
    extra.setdefault("problems", [])
    extra.setdefault("values", {})
    extra.setdefault("invitation", None)
    response = page.render(
        request,
        "project_members.html",
        "members",
        members=found[:MEMBERS_PER_PAGE],
        page=number,
        has_next=len(found) > MEMBERS_PER_PAGE,
        roles=ROLES,
        **extra,
    )
    response.status_code = status_code
    return response


def _shown_invitation(request: Request, invitation: Invitation) -> dict[str, Any]:
    url = public_link(request, request.url_for("invitation", token=invitation.token))
    return {"url": url, "email": invitation.member.invited_email, "expires": invitation.expires}


@router.get("/projects/{project_ish}/members")
async def members_tab(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish)
    return await _page(request, page)


@router.post("/projects/{project_ish}/members")
async def add_member(request: Request, project_ish: str) -> Response:
    """Add an account by user name, or someone by email (then show their invitation link)."""
    page = await open_project(request, project_ish)
    form = await read_form(request, page.session)
    who = form.get("who", "").strip()[:MAX_WHO]
    values = {"who": who, "role": form.get("role", "")}
    ctx = context_of(request)
    try:
        if not who:
            raise exceptions.ValidationFailed.one("who", "give a user name or an email")
        # User names never hold '@' (services.users.valid_username): this is an email.
        field = "email" if "@" in who else "username"
        body = validate(MemberIn, {field: who, "role": values["role"]})
        async with ctx.server.database.transaction() as conn:
            member = await members.add_member(
                conn,
                ctx.caller,
                page.project.id,
                username=body.username,
                email=body.email,
                role=body.role,
            )
            invitation = None
            if member.user_id is None:
                invitation = await members.invite(conn, ctx.caller, page.project.id, member.id)
    except (exceptions.ValidationFailed, exceptions.Conflict) as exc:
        return await _page(
            request, page, errors.status_of(exc), problems=problems_of(exc), values=values
        )
    if invitation is None:
        return redirect(f"{page.base}/members", f"{who} is now a member ({body.role}).")
    shown = _shown_invitation(request, invitation)
    return await _page(request, page, invitation=shown)


@router.post("/projects/{project_ish}/members/{member_id}/role")
async def change_role(request: Request, project_ish: str, member_id: str) -> Response:
    page = await open_project(request, project_ish)
    form = await read_form(request, page.session)
    ctx = context_of(request)
    try:
        body = validate(MemberPatch, {"role": form.get("role", "")})
        async with ctx.server.database.transaction() as conn:
            member = await members.update_member(
                conn, ctx.caller, page.project.id, member_id, body.role
            )
    except (exceptions.ValidationFailed, exceptions.Conflict) as exc:
        return await _page(request, page, errors.status_of(exc), problems=problems_of(exc))
    who = member.username or member.invited_email
    return redirect(f"{page.base}/members", f"{who} is now {member.role}.")


@router.post("/projects/{project_ish}/members/{member_id}/remove")
async def remove_member(request: Request, project_ish: str, member_id: str) -> Response:
    page = await open_project(request, project_ish)
    await read_form(request, page.session)
    ctx = context_of(request)
    try:
        async with ctx.server.database.transaction() as conn:
            await members.remove_member(conn, ctx.caller, page.project.id, member_id)
    except exceptions.Conflict as exc:
        return await _page(request, page, errors.status_of(exc), problems=problems_of(exc))
    return redirect(f"{page.base}/members", "Member removed.")


@router.post("/projects/{project_ish}/members/{member_id}/invite")
async def invite_member(request: Request, project_ish: str, member_id: str) -> Response:
    """A new acceptance link for an invited member (any earlier one stops working)."""
    page = await open_project(request, project_ish)
    await read_form(request, page.session)
    ctx = context_of(request)
    try:
        async with ctx.server.database.transaction() as conn:
            invitation = await members.invite(conn, ctx.caller, page.project.id, member_id)
    except exceptions.Conflict as exc:
        return await _page(request, page, errors.status_of(exc), problems=problems_of(exc))
    return await _page(request, page, invitation=_shown_invitation(request, invitation))
