"""A project's tokens, on its Settings tab: generate (shown once), revoke.

With JavaScript the page generates a token through the API (POST
/v1/projects/{p}/tokens with the session and X-CSRF-Token, js/project_tokens.js)
and shows it in a dialog; without, this form's answer shows it once, never
stored by the browser (no-store).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.api import errors
from ishcd.api.schemas.accounts import ProjectTokenIn
from ishcd.services import tokens
from ishcd.web.pages.project_settings import settings_page
from ishcd.web.pages.projects import problems_of
from ishcd.web.project_page import open_project
from ishcd.web.render import redirect
from ishcd.web.routing import Page, context_of, read_form, validate

router = APIRouter(route_class=Page, include_in_schema=False)


@router.post("/projects/{project_ish}/settings/tokens")
async def create_token(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish, "admin")
    form = await read_form(request, page.session)
    values = {name: form.get(name, "").strip() for name in ("name", "role", "expires")}
    ctx = context_of(request)
    try:
        sent = {k: v for k, v in values.items() if v or k != "expires"}
        body = validate(ProjectTokenIn, sent)
        async with ctx.server.database.transaction() as conn:
            _, new = await tokens.create_project_token(
                conn,
                ctx.server.keys,
                ctx.caller,
                page.project.id,
                name=body.name,
                role=body.role,
                expires_in_days=body.expires,
            )
    except exceptions.ValidationFailed as exc:
        shown = {f"token_{k}": v[:200] for k, v in values.items()}
        return await settings_page(
            request, page, errors.status_of(exc), token_problems=problems_of(exc), values=shown
        )
    shown_token = {"name": new.record.name, "role": body.role, "token": new.token}
    return await settings_page(request, page, new_token=shown_token)


@router.post("/projects/{project_ish}/settings/tokens/{token_id}/revoke")
async def revoke_token(request: Request, project_ish: str, token_id: str) -> Response:
    page = await open_project(request, project_ish, "admin")
    await read_form(request, page.session)
    ctx = context_of(request)
    async with ctx.server.database.transaction() as conn:
        await tokens.revoke_project_token(conn, ctx.caller, page.project.id, token_id)
    return redirect(f"{page.base}/settings#tokens", "Token revoked.")
