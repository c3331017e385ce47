"""Site admin: runners and their registration tokens (as /v1/runners and
/v1/runners/registration-tokens).

Every handler calls the same service as the API, whose own check refuses
anyone but a site admin (403), whatever the page shows. A new registration
token is shown once, on the form's answer itself (never stored by the
browser: no-store), with a Copy button.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.api import errors
from ishcd.api.schemas.runners import RegistrationTokenIn
from ishcd.services import registration_tokens, runners
from ishcd.services.sessions import WebSession
from ishcd.web.pages.projects import problems_of
from ishcd.web.render import redirect, render
from ishcd.web.routing import MAX_PAGE, Page, context_of, read_form, session_of, validate

router = APIRouter(route_class=Page, include_in_schema=False)
PER_PAGE = 50
HERE = "/admin/runners"
TOKENS = f"{HERE}#registration-tokens"


def _page_of(request: Request, name: str) -> int:
    raw = request.query_params.get(name, "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise exceptions.ValidationFailed.one(name, f"must be a whole number from 1 to {MAX_PAGE}")
    return int(raw)


async def _runners_page(
    request: Request, session: WebSession, status: int = 200, **extra: Any
) -> Response:
    page, tokens_page = _page_of(request, "page"), _page_of(request, "tokens_page")
    ctx = context_of(request)
    lost_after = ctx.server.settings.runner_lost_after
    async with ctx.db.read() as conn:
        found = await runners.list_runners(
            conn, ctx.caller, PER_PAGE + 1, (page - 1) * PER_PAGE, lost_after=lost_after
        )
        tokens = await registration_tokens.list_registration_tokens(
            conn, ctx.caller, PER_PAGE + 1, (tokens_page - 1) * PER_PAGE
        )
    extra.setdefault("description", "")
    return render(
        request,
        "admin_runners.html",
        session,
        status_code=status,
        runners=found[:PER_PAGE],
        page=page,
        has_next=len(found) > PER_PAGE,
        tokens=tokens[:PER_PAGE],
        tokens_page=tokens_page,
        tokens_next=len(tokens) > PER_PAGE,
        lost_after=int(lost_after),
        public_url=ctx.server.settings.public_url or str(request.base_url).rstrip("/"),
        **extra,
    )


@router.get(HERE)
async def runners_list(request: Request) -> Response:
    return await _runners_page(request, session_of(request))


@router.post(f"{HERE}/registration-tokens")
async def create_registration_token(request: Request) -> Response:
    """As POST /v1/runners/registration-tokens: the answer shows the token, once."""
    session = session_of(request)
    form = await read_form(request, session)
    description = form.get("description", "").strip()
    ctx = context_of(request)
    try:
        body = validate(RegistrationTokenIn, {"description": description})
        async with ctx.db.transaction() as conn:
            new = await registration_tokens.create_registration_token(
                conn, ctx.caller, body.description
            )
    except exceptions.ValidationFailed as exc:
        return await _runners_page(
            request,
            session,
            errors.status_of(exc),
            token_problems=problems_of(exc),
            description=description[:200],
        )
    shown = {"description": new.record.description, "token": new.token}
    return await _runners_page(request, session, 201, new_token=shown)


@router.post(HERE + "/registration-tokens/{token_id}/revoke")
async def revoke_registration_token(request: Request, token_id: str) -> Response:
    """As DELETE /v1/runners/registration-tokens/{id}."""
    session = session_of(request)
    await read_form(request, session)
    ctx = context_of(request)
    async with ctx.db.transaction() as conn:
        await registration_tokens.revoke_registration_token(conn, ctx.caller, token_id)
    return redirect(TOKENS, "Registration token revoked: it registers no more runners.")


@router.post(HERE + "/{runner_id}/{action}")
async def change_runner(request: Request, runner_id: str, action: str) -> Response:
    """As POST /v1/runners/{id}/pause and /resume, and DELETE /v1/runners/{id}."""
    session = session_of(request)
    await read_form(request, session)
    if action not in ("pause", "resume", "delete"):
        raise exceptions.NotFound(f"no such action: {action[:40]!r}")
    ctx = context_of(request)
    lost_after = ctx.server.settings.runner_lost_after
    async with ctx.db.transaction() as conn:
        if action == "delete":
            status = await runners.get_runner(conn, ctx.caller, runner_id, lost_after=lost_after)
            await runners.delete_runner(conn, ctx.caller, runner_id)
        else:
            status = await runners.set_paused(
                conn, ctx.caller, runner_id, action == "pause", lost_after=lost_after
            )
    said = {
        "pause": "paused: it gets no new work",
        "resume": "resumed",
        "delete": "deleted: its credential no longer works",
    }[action]
    return redirect(HERE, f"Runner {status.runner.name} {said}.")
