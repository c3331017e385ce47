"""A project's Settings tab (admins): the project's fields, its env vars, deleting it.

Each form calls what the API's router for it calls (PATCH and DELETE
/v1/projects/{p}, api/routers/envvars.py), with the same checks; the
project's tokens are in project_tokens.py, on the same page.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.api import errors
from ishcd.api.deps import public_base
from ishcd.api.schemas.access import EnvvarIn
from ishcd.api.schemas.projects import ProjectPatch
from ishcd.services import badges, envvars, projects, tokens
from ishcd.web.pages.projects import problems_of
from ishcd.web.project_page import ProjectPage, open_project
from ishcd.web.render import redirect
from ishcd.web.routing import Page, context_of, read_form, validate

router = APIRouter(route_class=Page, include_in_schema=False)
# The page lists this many env vars and tokens; the API pages through any number.
LISTED = 100
ROLES = ("read", "write", "admin")
# Fields a blank input clears (sets to null); the others must be given.
CLEARABLE = ("description", "repository", "log_retention_days")
REQUIRED = ("name", "machine_name", "default_branch")
MAX_CONFIRM = 200


async def settings_page(
    request: Request, page: ProjectPage, status_code: int = 200, **extra: Any
) -> Response:
    """The Settings tab, with ``extra``: a form's ``problems`` and ``values``, or a new token."""
    ctx = context_of(request)
    async with ctx.server.database.read() as conn:
        variables = await envvars.list_envvars(conn, ctx.caller, page.project.id, LISTED + 1, 0)
        _, project_tokens = await tokens.list_project_tokens(
            conn, ctx.caller, page.project.id, LISTED + 1, 0
        )
    for name in ("project_problems", "envvar_problems", "token_problems", "delete_problems"):
        extra.setdefault(name, [])
    extra.setdefault("values", {})
    extra.setdefault("new_token", None)
    project = await badges.ensure_key(ctx.server.database, page.project)
    response = page.render(
        request,
        "project_settings.html",
        "settings",
        envvars=variables[:LISTED],
        more_envvars=len(variables) > LISTED,
        tokens=project_tokens[:LISTED],
        more_tokens=len(project_tokens) > LISTED,
        roles=ROLES,
        retention_days=ctx.server.settings.log_retention_days,
        badge=badges.links(project, public_base(request)),
        expire_days=_days(page.project.artifacts_expire_in),
        **extra,
    )
    response.status_code = status_code
    return response


@router.get("/projects/{project_ish}/settings")
async def settings_tab(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish, "admin")
    return await settings_page(request, page)


DAY = 86400
EXPIRE_DAYS = "artifacts_expire_days"  # the form's field: artifacts_expire_in in days


def _days(seconds: int | None) -> str:
    """Seconds as the form shows them: days, with a fraction only when needed."""
    if seconds is None:
        return ""
    return str(seconds // DAY) if seconds % DAY == 0 else f"{seconds / DAY:.4g}"


def _expiry_change(form: dict[str, str], current: int | None) -> dict[str, Any]:
    """The artifact expiry the form sets (in days), as the API's artifacts_expire_in."""
    typed = form.get(EXPIRE_DAYS, "").strip()
    if EXPIRE_DAYS not in form or typed == _days(current):
        return {}
    if not typed:
        return {"artifacts_expire_in": None}
    try:
        days = float(typed)
    except ValueError:
        days = math.nan
    if not math.isfinite(days):
        return {"artifacts_expire_in": typed}  # refused, naming the field, by ProjectPatch
    return {"artifacts_expire_in": round(days * DAY)}


def _changes(form: dict[str, str], project: dict[str, Any]) -> dict[str, Any]:
    """The fields the form changes, as a PATCH body would send them."""
    changes: dict[str, Any] = _expiry_change(form, project["artifacts_expire_in"])
    for name in REQUIRED + CLEARABLE:
        if name not in form:
            continue
        value: str | None = form[name].strip()
        if name in CLEARABLE and not value:
            value = None
        if value != (None if project[name] is None else str(project[name])):
            changes[name] = value
    return changes


@router.post("/projects/{project_ish}/settings")
async def update_project(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish, "admin")
    form = await read_form(request, page.session)
    changes = _changes(form, page.project._asdict())
    ctx = context_of(request)
    try:
        body = validate(ProjectPatch, changes)
        async with ctx.server.database.transaction() as conn:
            project = await projects.update_project(
                conn,
                ctx.caller,
                page.project.id,
                body.model_dump(exclude_unset=True),
                ctx.server.settings.log_retention_days,
            )
    except (exceptions.ValidationFailed, exceptions.Conflict) as exc:
        values = {k: form.get(k, "") for k in (*REQUIRED, *CLEARABLE, EXPIRE_DAYS)}
        return await settings_page(
            request,
            page,
            errors.status_of(exc),
            project_problems=problems_of(exc),
            values=values,
        )
    notice = "Settings saved." if changes else "Nothing changed."
    return redirect(f"/projects/{project.machine_name}/settings", notice)


@router.post("/projects/{project_ish}/settings/envvars")
async def set_envvar(request: Request, project_ish: str) -> Response:
    """Create an env var or replace its value (the value is never shown again)."""
    page = await open_project(request, project_ish, "admin")
    form = await read_form(request, page.session)
    name = form.get("name", "").strip()
    ctx = context_of(request)
    try:
        body = validate(EnvvarIn, {"name": name, "value": form.get("value", "")})
        async with ctx.server.database.transaction() as conn:
            await envvars.set_envvar(
                conn,
                ctx.caller,
                page.project.id,
                ctx.server.vault,
                body.name,
                body.value,
                ctx.server.limits,
            )
    except exceptions.ValidationFailed as exc:
        return await settings_page(
            request,
            page,
            errors.status_of(exc),
            envvar_problems=problems_of(exc),
            values={"envvar_name": name[:128]},
        )
    return redirect(f"{page.base}/settings#envvars", f"Environment variable {name} saved.")


@router.post("/projects/{project_ish}/settings/envvars/{name}/delete")
async def delete_envvar(request: Request, project_ish: str, name: str) -> Response:
    page = await open_project(request, project_ish, "admin")
    await read_form(request, page.session)
    ctx = context_of(request)
    async with ctx.server.database.transaction() as conn:
        await envvars.delete_envvar(conn, ctx.caller, page.project.id, name)
    return redirect(f"{page.base}/settings#envvars", f"Environment variable {name} deleted.")


@router.post("/projects/{project_ish}/settings/delete")
async def delete_project(request: Request, project_ish: str) -> Response:
    """Delete the project once its machine name is typed (checked here, not only in the page)."""
    page = await open_project(request, project_ish, "admin")
    form = await read_form(request, page.session)
    typed = form.get("confirm", "").strip()[:MAX_CONFIRM]
    ctx = context_of(request)
    try:
        if typed != page.project.machine_name:
            raise exceptions.ValidationFailed.one(
                "confirm", f"type the project's machine name, {page.project.machine_name}"
            )
        async with ctx.server.database.transaction() as conn:
            await projects.delete_project(
                conn, ctx.caller, page.project.id, ctx.server.logs, ctx.server.mirrors
            )
    except (exceptions.ValidationFailed, exceptions.Conflict) as exc:
        return await settings_page(
            request, page, errors.status_of(exc), delete_problems=problems_of(exc)
        )
    return redirect("/projects", f"Project {page.project.name} deleted.")
