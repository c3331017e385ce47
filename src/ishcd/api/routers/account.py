"""The caller's own account and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ishcd.api.deps import Authenticated, PageDep, context
from ishcd.api.errors import responses
from ishcd.api.schemas.accounts import (
    AccountOut,
    AccountPatch,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)
from ishcd.services import tokens, users

router = APIRouter(tags=["account"], route_class=Authenticated)


@router.get("/account", response_model=AccountOut, responses=responses(401))
async def get_account(request: Request) -> AccountOut:
    """Read your account."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        return AccountOut.of(await users.get_account(conn, ctx.caller))


@router.patch("/account", response_model=AccountOut, responses=responses(400, 401, 409, 422))
async def update_account(request: Request, body: AccountPatch) -> AccountOut:
    """Change your user name, name or email."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        user = await users.update_account(conn, ctx.caller, body.model_dump(exclude_unset=True))
    return AccountOut.of(user)


@router.get("/tokens", response_model=list[TokenOut], responses=responses(401, 422))
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
    responses=responses(400, 401, 422),
)
async def create_token(request: Request, body: TokenIn) -> TokenCreatedOut:
    """Create a named API token; the response's `token` is shown this once."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        new = await tokens.create_token(conn, ctx.server.keys, ctx.caller, body.name)
    return TokenCreatedOut(**TokenOut.of(new.record).model_dump(), token=new.token)


@router.delete("/tokens/{token_id}", status_code=204, responses=responses(401, 404))
async def revoke_token(request: Request, token_id: str) -> Response:
    """Revoke an API token; it stops working at once."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        await tokens.revoke_token(conn, ctx.caller, token_id)
    return Response(status_code=204)
