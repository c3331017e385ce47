"""The Integrations tab: the user's API tokens and credentials (as /v1/tokens, /v1/credentials).

A new token is shown once: with JavaScript the page's script creates it through
the API (``static/js/tokens.js``, as Ish CD's official JS client does); without,
the form's POST answers with the token's page itself, never stored and never
cached, so no later request can show it again.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.api.schemas.access import CredentialIn
from ishcd.api.schemas.accounts import TokenIn
from ishcd.services import credentials, tokens
from ishcd.services.sessions import WebSession
from ishcd.web.render import redirect, render
from ishcd.web.routing import (
    MAX_PAGE,
    Page,
    context_of,
    read_form,
    server_of,
    session_of,
    validate,
)

router = APIRouter(route_class=Page, include_in_schema=False)
PER_PAGE = 50
HERE = "/integrations"


def _page_of(request: Request, name: str) -> int:
    """A page number from the query (1 when absent); 422 naming ``name`` otherwise."""
    raw = request.query_params.get(name, "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise exceptions.ValidationFailed.one(name, f"must be a whole number from 1 to {MAX_PAGE}")
    return int(raw)


async def _tab(request: Request, session: WebSession, status: int = 200, **extra: Any) -> Response:
    page, credentials_page = _page_of(request, "page"), _page_of(request, "credentials_page")
    async with server_of(request).database.read() as conn:
        found = await tokens.list_tokens(conn, session.caller, PER_PAGE + 1, (page - 1) * PER_PAGE)
        creds = await credentials.list_credentials(
            conn, session.caller, PER_PAGE + 1, (credentials_page - 1) * PER_PAGE
        )
    extra.setdefault("credential", {"name": "", "env": ""})
    return render(
        request,
        "integrations.html",
        session,
        status_code=status,
        tokens=found[:PER_PAGE],
        page=page,
        has_next=len(found) > PER_PAGE,
        per_page=PER_PAGE,
        credentials=creds[:PER_PAGE],
        credentials_page=credentials_page,
        credentials_next=len(creds) > PER_PAGE,
        **extra,
    )


@router.get("/integrations")
async def integrations_tab(request: Request) -> Response:
    return await _tab(request, session_of(request))


@router.get("/integrations/tokens/new")
async def new_token_form(request: Request) -> Response:
    """The Generate Token form for browsers without JavaScript."""
    return render(request, "integrations_token_new.html", session_of(request), name="")


def _token_fields(form: dict[str, str]) -> dict[str, Any]:
    expires = form.get("expires", "").strip()
    return {"name": form.get("name", "").strip(), "expires": expires or None}


@router.post("/integrations/tokens")
async def create_token(request: Request) -> Response:
    """As POST /v1/tokens; the answer is the token's once-only page (no redirect)."""
    session = session_of(request)
    form = await read_form(request, session)
    fields = _token_fields(form)
    try:
        body = validate(TokenIn, fields)
    except exceptions.ValidationFailed as exc:
        return render(
            request,
            "integrations_token_new.html",
            session,
            status_code=422,
            problems=[e.as_dict() for e in exc.errors],
            name=fields["name"][:200],
            expires=form.get("expires", "")[:10],
        )
    ctx = context_of(request)
    async with ctx.db.transaction() as conn:
        new = await tokens.create_token(conn, ctx.server.keys, ctx.caller, body.name, body.expires)
    return render(
        request,
        "integrations_token_created.html",
        session,
        status_code=201,
        record=new.record,
        token=new.token,
    )


@router.post("/integrations/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: str) -> Response:
    """As DELETE /v1/tokens/{id}: the token stops working at once."""
    session = session_of(request)
    await read_form(request, session)
    ctx = context_of(request)
    async with ctx.db.transaction() as conn:
        await tokens.revoke_token(conn, ctx.caller, token_id)
    return redirect(HERE, "Token revoked: it no longer works.")


@router.post("/integrations/credentials")
async def create_credential(request: Request) -> Response:
    """As POST /v1/credentials: runs this user starts get the value as ``env``."""
    session = session_of(request)
    form = await read_form(request, session)
    fields = {
        "name": form.get("name", "").strip(),
        "env": form.get("env", "").strip(),
        "value": form.get("value", ""),
    }
    ctx = context_of(request)
    try:
        body = validate(CredentialIn, fields)
        async with ctx.db.transaction() as conn:
            record = await credentials.create_credential(
                conn,
                ctx.caller,
                ctx.server.vault,
                name=body.name,
                env=body.env,
                value=body.value,
                limits=ctx.server.limits,
            )
    except (exceptions.ValidationFailed, exceptions.Conflict) as exc:
        status = 409 if isinstance(exc, exceptions.Conflict) else 422
        problems = [e.as_dict() for e in exc.errors] or [{"field": "env", "message": exc.message}]
        kept = {"name": fields["name"][:200], "env": fields["env"][:128]}  # never the value
        return await _tab(request, session, status, credential=kept, problems=problems)
    return redirect(HERE, f"Credential {record.name} added: runs you start get it as {record.env}.")


@router.post("/integrations/credentials/{credential_id}/delete")
async def delete_credential(request: Request, credential_id: str) -> Response:
    """As DELETE /v1/credentials/{id}."""
    session = session_of(request)
    await read_form(request, session)
    ctx = context_of(request)
    async with ctx.db.transaction() as conn:
        await credentials.delete_credential(conn, ctx.caller, credential_id)
    return redirect(HERE, "Credential deleted.")
