"""The caller's own account, API tokens and credentials."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ishcd.api import paging
from ishcd.api.deps import Authenticated, PageDep, context
from ishcd.api.errors import responses
from ishcd.api.schemas.access import CredentialIn, CredentialOut
from ishcd.api.schemas.accounts import (
    AccountOut,
    AccountPatch,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)
from ishcd.services import credentials, login, passwords, tokens, users

router = APIRouter(tags=["account"], route_class=Authenticated)


@router.get("/account", response_model=AccountOut, responses=responses(401, 403))
async def get_account(request: Request) -> AccountOut:
    """Read your account."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        return AccountOut.of(await users.get_account(conn, ctx.caller))


@router.patch(
    "/account", response_model=AccountOut, responses=responses(400, 401, 403, 409, 422, 429)
)
async def update_account(request: Request, body: AccountPatch) -> AccountOut:
    """Change your user name, name, email or password (with `current_password`)."""
    ctx = context(request)
    changes = body.model_dump(exclude_unset=True, exclude={"password", "current_password"})
    async with ctx.db.read() as conn:
        await users.get_account(conn, ctx.caller)  # refuses project tokens first
    password_hash = None
    if body.password is not None:
        # Slow checks first, outside the transaction that then writes everything at once.
        await login.check_current_password(ctx.db, ctx.caller, body.current_password)
        password_hash = await passwords.hash_password(body.password)
    async with ctx.db.transaction() as conn:
        user = await users.update_account(conn, ctx.caller, changes, password_hash)
    return AccountOut.of(user)


@router.get("/tokens", response_model=list[TokenOut], responses=paging.responses(401, 403, 422))
@paging.documented
async def list_tokens(request: Request, response: Response, page: PageDep) -> list[TokenOut]:
    """List your API tokens (never the tokens themselves)."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        rows = await tokens.list_tokens(conn, ctx.caller, page.fetch, page.offset)
    return [TokenOut.of(t) for t in page.finish(request, response, rows)]


@router.post(
    "/tokens",
    status_code=201,
    response_model=TokenCreatedOut,
    responses=responses(400, 401, 403, 422),
)
async def create_token(request: Request, body: TokenIn) -> TokenCreatedOut:
    """Create a named API token; the response's `token` is shown this once."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        new = await tokens.create_token(conn, ctx.server.keys, ctx.caller, body.name, body.expires)
    return TokenCreatedOut(**TokenOut.of(new.record).model_dump(), token=new.token)


@router.delete("/tokens/{token_id}", status_code=204, responses=responses(401, 403, 404))
async def revoke_token(request: Request, token_id: str) -> Response:
    """Revoke an API token; it stops working at once."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        await tokens.revoke_token(conn, ctx.caller, token_id)
    return Response(status_code=204)


@router.get(
    "/credentials", response_model=list[CredentialOut], responses=paging.responses(401, 403, 422)
)
@paging.documented
async def list_credentials(
    request: Request, response: Response, page: PageDep
) -> list[CredentialOut]:
    """List your credentials, values masked."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        rows = await credentials.list_credentials(conn, ctx.caller, page.fetch, page.offset)
    return [CredentialOut.of(c) for c in page.finish(request, response, rows)]


@router.post(
    "/credentials",
    status_code=201,
    response_model=CredentialOut,
    responses=responses(400, 401, 403, 409, 422),
)
async def create_credential(request: Request, body: CredentialIn) -> CredentialOut:
    """Add a credential: runs you start get `value` as the environment variable `env`."""
    ctx = context(request)
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
    return CredentialOut.of(record)


@router.delete("/credentials/{credential_id}", status_code=204, responses=responses(401, 403, 404))
async def delete_credential(request: Request, credential_id: str) -> Response:
    """Delete one of your credentials."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        await credentials.delete_credential(conn, ctx.caller, credential_id)
    return Response(status_code=204)
