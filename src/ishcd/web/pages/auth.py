"""Signing in and out, accepting an invitation, and the session's CSRF token."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from ishcd import exceptions
from ishcd.api import deps
from ishcd.api.deps import SESSION_COOKIE, client_ip
from ishcd.api.schemas.access import AcceptIn
from ishcd.services import login, members, passwords, sessions
from ishcd.web import cookies
from ishcd.web.render import redirect, render
from ishcd.web.routing import Public, maybe_session, read_form, server_of, validate

router = APIRouter(route_class=Public, include_in_schema=False)
# Answers in the API's way (JSON errors), for scripts rather than people.
rest = APIRouter(include_in_schema=False)
LANDING = "/projects"


def safe_next(target: str | None) -> str:
    """Where to go after login: a path on this site only (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return LANDING
    return target[:2000]


def _signed_out_form(
    request: Request, template: str, status: int = 200, **context: object
) -> Response:
    """A form used before any session exists (login, invitation), with its CSRF token
    in the form and in a cookie (``cookies.LOGIN_CSRF_COOKIE``: double submit)."""
    token = secrets.token_urlsafe(24)
    response = render(
        request, template, maybe_session(request), status_code=status, login_csrf=token, **context
    )
    cookies.set_login_csrf(response, server_of(request), token)
    return response


def _check_signed_out_form(request: Request, form: dict[str, str]) -> None:
    """403 unless the form's token is the one its cookie holds."""
    sent, expected = form.get("csrf_token", ""), request.cookies.get(cookies.LOGIN_CSRF_COOKIE)
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise exceptions.Forbidden(
            "the form is out of date or was sent from another site: reload it and try again"
        )


def _login_page(request: Request, next_url: str, status: int = 200, **extra: object) -> Response:
    return _signed_out_form(request, "login.html", status, next_url=next_url, **extra)


@router.get("/login")
async def login_form(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if maybe_session(request) is not None:
        return redirect(next_url)
    return _login_page(request, next_url)


@router.post("/login")
async def log_in(request: Request) -> Response:
    form = await read_form(request)
    next_url = safe_next(form.get("next"))
    _check_signed_out_form(request, form)
    username, password = form.get("username", "")[:64], form.get("password", "")[:1024]
    server = server_of(request)
    try:
        if not username or not password:
            raise exceptions.Unauthorized(login.WRONG)
        user = await login.check_login(server.database, username, password, client_ip(request))
    except (exceptions.Unauthorized, exceptions.TooManyRequests) as exc:
        status = 429 if isinstance(exc, exceptions.TooManyRequests) else 401
        return _login_page(request, next_url, status, error=exc.message, username=username)
    async with server.database.transaction() as conn:
        started = await sessions.start_session(conn, user, client_ip(request))
    response = redirect(next_url)
    cookies.set_session_cookie(response, server, started.secret)
    response.delete_cookie(cookies.LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def log_out(request: Request) -> Response:
    session = maybe_session(request)
    server = server_of(request)
    if session is not None:
        await read_form(request, session)
        async with server.database.transaction() as conn:
            await sessions.end_session(conn, request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/login", "You have signed out.")
    cookies.clear_session_cookie(response, server)
    return response


@rest.get("/rest/session/token")
async def session_token(request: Request) -> Response:
    """The CSRF token of the signed-in session, for a script's unsafe API requests."""
    session = await deps.find_session(request)
    if session is None:
        raise exceptions.Unauthorized("no login session: sign in first")
    return PlainTextResponse(session.csrf_token, headers={"cache-control": "no-store"})


@router.get("/invitations/{token}")
async def invitation(request: Request, token: str) -> Response:
    server = server_of(request)
    async with server.database.read() as conn:
        pending = await members.find_invitation(conn, token)
    return _invitation_page(request, token, pending)


def _invitation_page(
    request: Request,
    token: str,
    pending: members.Pending,
    status: int = 200,
    **extra: object,
) -> Response:
    return _signed_out_form(
        request,
        "invitation.html",
        status,
        token=token,
        project=pending.project,
        role=pending.member.role,
        email=pending.member.invited_email,
        **extra,
    )


@router.post("/invitations/{token}")
async def accept_invitation(request: Request, token: str) -> Response:
    form = await read_form(request)
    server = server_of(request)
    _check_signed_out_form(request, form)
    async with server.database.read() as conn:
        pending = await members.find_invitation(conn, token)
    username = form.get("username", "").strip()
    try:
        if form.get("password", "") != form.get("password_again", ""):
            raise exceptions.ValidationFailed.one("password_again", "does not match the password")
        body = validate(
            AcceptIn,
            {
                "username": username,
                "password": form.get("password", ""),
                "name": form.get("name") or None,
                "email": form.get("email") or pending.member.invited_email,
            },
        )
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
            # A browser signed in as someone else switches to the new account: its
            # old session ends rather than living on without its cookie.
            await sessions.end_session(conn, request.cookies.get(SESSION_COOKIE, ""))
            started = await sessions.start_session(conn, accepted.user, client_ip(request))
    except exceptions.ValidationFailed as exc:
        problems = [e.as_dict() for e in exc.errors] or [{"field": "", "message": exc.message}]
        return _invitation_page(request, token, pending, 422, problems=problems, username=username)
    except exceptions.Conflict as exc:
        problems = [{"field": "username", "message": exc.message}]
        return _invitation_page(request, token, pending, 409, problems=problems, username=username)
    project = accepted.project
    response = redirect(f"/projects/{project.machine_name}", f"Welcome to {project.name}.")
    cookies.set_session_cookie(response, server, started.secret)
    return response
