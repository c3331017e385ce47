"""Project members and invitations."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ishcd.api import paging
from ishcd.api.deps import Authenticated, PageDep, context, public_link
from ishcd.api.errors import responses
from ishcd.api.schemas.access import InvitationOut, MemberIn, MemberOut, MemberPatch
from ishcd.services import members

router = APIRouter(tags=["members"], route_class=Authenticated)

MEMBERS = "/projects/{project_ish}/members"


@router.get(MEMBERS, response_model=list[MemberOut], responses=paging.responses(401, 404, 422))
@paging.documented
async def list_members(
    request: Request, response: Response, project_ish: str, page: PageDep
) -> list[MemberOut]:
    """List a project's members and pending invitations."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        rows = await members.list_members(conn, ctx.caller, project_ish, page.fetch, page.offset)
    return [MemberOut.of(m) for m in page.finish(request, response, rows)]


@router.post(
    MEMBERS,
    status_code=201,
    response_model=MemberOut,
    responses=responses(400, 401, 403, 404, 409, 422),
)
async def add_member(request: Request, project_ish: str, body: MemberIn) -> MemberOut:
    """Give an account a role, or add someone to invite.

    `username` names the account; or `email`: the account with that e-mail
    address becomes a member (`status` `active`), and where no account has it,
    an invited member is added (`status` `invited`; `POST …/invite` makes the
    link). `role` is `read` when absent, and may be sent as `{"type": "write"}`
    (the official JavaScript client's shape): `{"email": "…"}` alone works.
    """
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        member = await members.add_member(
            conn, ctx.caller, project_ish, username=body.username, email=body.email, role=body.role
        )
    return MemberOut.of(member)


@router.patch(
    MEMBERS + "/{member_id}",
    response_model=MemberOut,
    responses=responses(400, 401, 403, 404, 409, 422),
)
async def update_member(
    request: Request, project_ish: str, member_id: str, body: MemberPatch
) -> MemberOut:
    """Change a member's role (the last admin stays admin).

    `role` is a string, or `{"type": "write"}` as the official JavaScript client sends it.
    """
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        member = await members.update_member(conn, ctx.caller, project_ish, member_id, body.role)
    return MemberOut.of(member)


@router.delete(MEMBERS + "/{member_id}", status_code=204, responses=responses(401, 403, 404, 409))
async def remove_member(request: Request, project_ish: str, member_id: str) -> Response:
    """Take a member out of the project (never the last admin)."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        await members.remove_member(conn, ctx.caller, project_ish, member_id)
    return Response(status_code=204)


@router.post(
    MEMBERS + "/{member_id}/invite",
    status_code=201,
    response_model=InvitationOut,
    responses=responses(401, 403, 404, 409),
)
async def invite_member(request: Request, project_ish: str, member_id: str) -> InvitationOut:
    """Make a one-time acceptance link for an invited member (valid 7 days)."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        invitation = await members.invite(conn, ctx.caller, project_ish, member_id)
    url = public_link(request, request.url_for("accept_invitation", token=invitation.token))
    return InvitationOut(url=url, token=invitation.token, expires=int(invitation.expires))
