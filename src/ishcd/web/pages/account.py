"""The Account tab: the user's name, email and password (as PATCH /v1/account).

A new password ends every session of the user (the epoch bump); this browser then
gets a fresh session, so the user who changed it stays signed in here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.api.deps import SESSION_COOKIE, client_ip
from ishcd.api.schemas.accounts import AccountPatch
from ishcd.services import login, passwords, sessions, users
from ishcd.services.sessions import WebSession
from ishcd.web import cookies
from ishcd.web.render import redirect, render
from ishcd.web.routing import Page, context_of, read_form, session_of, validate

router = APIRouter(route_class=Page, include_in_schema=False)
HERE = "/account"


async def _page(request: Request, session: WebSession, status: int = 200, **extra: Any) -> Response:
    ctx = context_of(request)
    async with ctx.db.read() as conn:
        account = await users.get_account(conn, ctx.caller)
    extra.setdefault("profile", {"name": account.name or "", "email": account.email or ""})
    extra.setdefault("profile_problems", [])
    extra.setdefault("password_problems", [])
    return render(request, "account.html", session, status_code=status, account=account, **extra)


def _problems(exc: exceptions.IshError, field: str) -> list[dict[str, str]]:
    return [e.as_dict() for e in exc.errors] or [{"field": field, "message": exc.message}]


@router.get("/account")
async def account_tab(request: Request) -> Response:
    return await _page(request, session_of(request))


@router.post("/account")
async def update_profile(request: Request) -> Response:
    """Name and email, as PATCH /v1/account (an empty field clears it)."""
    session = session_of(request)
    form = await read_form(request, session)
    kept = {"name": form.get("name", "").strip(), "email": form.get("email", "").strip()}
    try:
        body = validate(AccountPatch, {k: v or None for k, v in kept.items()})
    except exceptions.ValidationFailed as exc:
        shown = {k: v[:320] for k, v in kept.items()}
        return await _page(
            request, session, 422, profile=shown, profile_problems=_problems(exc, "")
        )
    ctx = context_of(request)
    async with ctx.db.transaction() as conn:
        await users.update_account(conn, ctx.caller, body.model_dump(include={"name", "email"}))
    return redirect(HERE, "Your account is saved.")


@router.post("/account/password")
async def change_password(request: Request) -> Response:
    """As PATCH /v1/account with ``password`` and ``current_password``: the same checks
    and the same throttling of wrong current passwords."""
    session = session_of(request)
    form = await read_form(request, session)
    ctx = context_of(request)
    try:
        if form.get("password", "") != form.get("password_again", ""):
            raise exceptions.ValidationFailed.one(
                "password_again", "does not match the new password"
            )
        body = validate(
            AccountPatch,
            {
                "password": form.get("password", ""),
                "current_password": form.get("current_password") or None,
            },
        )
        await login.check_current_password(ctx.db, ctx.caller, body.current_password)
    except (exceptions.ValidationFailed, exceptions.TooManyRequests) as exc:
        wait = exc.retry_after if isinstance(exc, exceptions.TooManyRequests) else None
        response = await _page(
            request,
            session,
            422 if wait is None else 429,
            password_problems=_problems(exc, "current_password"),
        )
        if wait is not None:
            response.headers["retry-after"] = str(wait)
        return response
    password_hash = await passwords.hash_password(body.password or "")
    server = ctx.server
    async with ctx.db.transaction() as conn:
        user = await users.update_account(conn, ctx.caller, {}, password_hash)
        await sessions.end_session(conn, request.cookies.get(SESSION_COOKIE, ""))
        started = await sessions.start_session(conn, user, client_ip(request))
    response = redirect(
        HERE,
        "Password changed. Every other session of yours has been signed out; "
        "this browser stays signed in.",
    )
    cookies.set_session_cookie(response, server, started.secret)
    return response
