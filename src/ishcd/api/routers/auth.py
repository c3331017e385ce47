"""Getting a token: exchange, login, accepting an invitation. No other auth."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ishcd.api.deps import ServerDep, client_ip
from ishcd.api.errors import responses
from ishcd.api.schemas.access import AcceptedOut, AcceptIn, InvitationInfoOut
from ishcd.api.schemas.accounts import AccountOut, LoginIn, SessionTokenOut
from ishcd.api.schemas.common import ProjectRef
from ishcd.services import auth, login, members, passwords

router = APIRouter(tags=["auth"])


@router.get("/auth/token", response_model=SessionTokenOut, responses=responses(401, 422))
async def exchange_token(
    server: ServerDep,
    api_token: Annotated[str, Query(min_length=1, description="An API token")],
) -> SessionTokenOut:
    """Exchange an API token for a JWT valid for 12 hours."""
    async with server.database.read() as conn:
        token = await auth.exchange_token(conn, server.keys, api_token)
    return SessionTokenOut(token=token)


@router.post("/auth/login", response_model=SessionTokenOut, responses=responses(400, 401, 422, 429))
async def log_in(request: Request, server: ServerDep, body: LoginIn) -> SessionTokenOut:
    """Log in with a user name and password: a JWT valid for 12 hours."""
    token = await login.log_in(
        server.database, server.keys, body.username, body.password, client_ip(request)
    )
    return SessionTokenOut(token=token)


@router.get("/invitations/{token}", response_model=InvitationInfoOut, responses=responses(404))
async def read_invitation(server: ServerDep, token: str) -> InvitationInfoOut:
    """What an invitation is for: project and role."""
    async with server.database.read() as conn:
        pending = await members.find_invitation(conn, token)
    return InvitationInfoOut.of(pending.member, pending.project)


@router.post(
    "/invitations/{token}",
    status_code=201,
    response_model=AcceptedOut,
    responses=responses(400, 404, 409, 422),
)
async def accept_invitation(
    request: Request, server: ServerDep, token: str, body: AcceptIn
) -> AcceptedOut:
    """Accept an invitation: create your account and join the project."""
    password_hash = await passwords.hash_password(body.password)
    async with server.database.transaction() as conn:
        accepted = await members.accept_invitation(
            conn,
            token,
            username=body.username,
            password_hash=password_hash,
            name=body.name,
            email=body.email,
            ip=client_ip(request),
        )
    project = accepted.project
    return AcceptedOut(
        user=AccountOut.of(accepted.user),
        project=ProjectRef(id=project.id, machine_name=project.machine_name),
        role=accepted.member.role,
        token=auth.session_jwt(server.keys, accepted.user.id, None),
    )
