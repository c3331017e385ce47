"""Site admin: users (as /v1/users) and the site's audit log (as GET /v1/audit).

Every handler calls the same service as the API, whose own check refuses
anyone but a site admin (403), whatever the page shows.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.api.schemas.accounts import UserIn, UserPatch
from ishcd.services import audit, passwords, users
from ishcd.services.sessions import WebSession
from ishcd.web.render import redirect, render
from ishcd.web.routing import Page, context_of, page_number, read_form, session_of, validate

router = APIRouter(route_class=Page, include_in_schema=False)
PER_PAGE = 50
USERS = "/admin/users"
FILTER_MAX = 64  # as the API's ``action`` query

# The buttons of the users list: what each sends as PATCH /v1/users/{user}.
CHANGES: dict[str, tuple[dict[str, bool], str]] = {
    "disable": ({"disabled": True}, "disabled: their sessions and tokens stop at once"),
    "enable": ({"disabled": False}, "enabled"),
    "make-admin": ({"is_admin": True}, "is now a site admin"),
    "unmake-admin": ({"is_admin": False}, "is no longer a site admin"),
}
NEW_USER = {"username": "", "name": "", "email": "", "is_admin": False}


async def _users_page(
    request: Request, session: WebSession, status: int = 200, **extra: Any
) -> Response:
    page = page_number(request)
    ctx = context_of(request)
    async with ctx.db.read() as conn:
        found = await users.list_users(conn, ctx.caller, PER_PAGE + 1, (page - 1) * PER_PAGE)
    return render(
        request,
        "admin_users.html",
        session,
        status_code=status,
        users=found[:PER_PAGE],
        page=page,
        has_next=len(found) > PER_PAGE,
        **extra,
    )


@router.get("/admin/users")
async def users_list(request: Request) -> Response:
    return await _users_page(request, session_of(request))


@router.get("/admin/users/new")
async def new_user_form(request: Request) -> Response:
    session = session_of(request)
    ctx = context_of(request)
    async with ctx.db.read() as conn:
        await users.list_users(conn, ctx.caller, 0, 0)  # site admins only
    return render(request, "admin_user_new.html", session, values=NEW_USER)


@router.post("/admin/users")
async def create_user(request: Request) -> Response:
    """As POST /v1/users: a generated password is shown once, on the answer itself."""
    session = session_of(request)
    form = await read_form(request, session)
    ctx = context_of(request)
    async with ctx.db.read() as conn:
        await users.list_users(conn, ctx.caller, 0, 0)  # refuse non-admins before hashing
    values: dict[str, Any] = {
        "username": form.get("username", "").strip(),
        "name": form.get("name", "").strip(),
        "email": form.get("email", "").strip(),
        "is_admin": form.get("is_admin") == "on",
    }
    generate = form.get("password_choice", "generate") != "set"
    try:
        body = validate(
            UserIn,
            {
                **{k: v or None for k, v in values.items() if k in ("name", "email")},
                "username": values["username"],
                "is_admin": values["is_admin"],
                "password": None if generate else form.get("password", ""),
            },
        )
        generated = passwords.generate() if body.password is None else None
        password_hash = await passwords.hash_password(body.password or generated or "")
        async with ctx.db.transaction() as conn:
            user = await users.create_user(
                conn,
                body.username,
                password_hash=password_hash,
                is_admin=body.is_admin,
                name=body.name,
                email=body.email,
                caller=ctx.caller,
            )
    except (exceptions.ValidationFailed, exceptions.Conflict) as exc:
        status = 409 if isinstance(exc, exceptions.Conflict) else 422
        problems = [e.as_dict() for e in exc.errors] or [
            {"field": "username", "message": exc.message}
        ]
        kept = {k: v[:320] if isinstance(v, str) else v for k, v in values.items()}
        return render(
            request,
            "admin_user_new.html",
            session,
            status_code=status,
            values=kept,
            problems=problems,
            generate=generate,
        )
    if generated is None:
        return redirect(USERS, f"User {user.username} created.")
    return render(
        request,
        "admin_user_created.html",
        session,
        status_code=201,
        created=user,
        password=generated,
    )


@router.post("/admin/users/{user_id}/{change}")
async def update_user(request: Request, user_id: str, change: str) -> Response:
    """As PATCH /v1/users/{user}; refusals (the last site admin) are shown on the list."""
    session = session_of(request)
    await read_form(request, session)
    if change not in CHANGES:
        raise exceptions.NotFound(f"no such change: {change[:40]!r}")
    values, said = CHANGES[change]
    body = validate(UserPatch, values)
    ctx = context_of(request)
    try:
        async with ctx.db.transaction() as conn:
            user = await users.update_user(
                conn, ctx.caller, user_id, body.model_dump(exclude_unset=True)
            )
    except exceptions.Conflict as exc:
        problems = [{"field": "", "message": exc.message}]
        return await _users_page(request, session, 409, problems=problems)
    return redirect(USERS, f"{user.username} {said}.")


@router.get("/admin/audit")
async def site_audit(request: Request) -> Response:
    """As GET /v1/audit: newest first, filtered by action and project id."""
    session = session_of(request)
    page = page_number(request)
    action = request.query_params.get("action", "").strip() or None
    project = request.query_params.get("project", "").strip() or None
    for name, value in (("action", action), ("project", project)):
        if value is not None and len(value) > FILTER_MAX:
            raise exceptions.ValidationFailed.one(name, f"at most {FILTER_MAX} characters")
    ctx = context_of(request)
    async with ctx.db.read() as conn:
        found = await audit.site_events(
            conn,
            ctx.caller,
            project_id=project,
            action=action,
            limit=PER_PAGE + 1,
            offset=(page - 1) * PER_PAGE,
        )
    chosen = {k: v for k, v in (("action", action), ("project", project)) if v is not None}
    filters = urlencode(chosen) + "&" if chosen else ""
    return render(
        request,
        "admin_audit.html",
        session,
        events=found[:PER_PAGE],
        page=page,
        has_next=len(found) > PER_PAGE,
        action=action or "",
        project=project or "",
        filters=filters,
    )
