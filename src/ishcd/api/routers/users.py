"""Users, managed by site admins."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ishcd.api import paging
from ishcd.api.deps import Authenticated, PageDep, context
from ishcd.api.errors import responses
from ishcd.api.schemas.accounts import UserCreatedOut, UserIn, UserOut, UserPatch
from ishcd.services import passwords, users

router = APIRouter(tags=["users"], route_class=Authenticated)


@router.get("/users", response_model=list[UserOut], responses=paging.responses(401, 403, 422))
@paging.documented
async def list_users(request: Request, response: Response, page: PageDep) -> list[UserOut]:
    """List every user (site admins)."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        rows = await users.list_users(conn, ctx.caller, page.fetch, page.offset)
    return [UserOut.of(u) for u in page.finish(request, response, rows)]


@router.post(
    "/users",
    status_code=201,
    response_model=UserCreatedOut,
    responses=responses(400, 401, 403, 409, 422),
)
async def create_user(request: Request, body: UserIn) -> UserCreatedOut:
    """Create a user (site admins); a random password is returned once when none is given."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        await users.list_users(conn, ctx.caller, 0, 0)  # refuse non-admins before hashing
    generated = None if body.password is not None else passwords.generate()
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
    return UserCreatedOut(**UserOut.of(user).model_dump(), password=generated)


@router.get("/users/{user_ish}", response_model=UserOut, responses=responses(401, 403, 404))
async def get_user(request: Request, user_ish: str) -> UserOut:
    """Read a user by id or user name (site admins)."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        return UserOut.of(await users.get_user(conn, ctx.caller, user_ish))


@router.patch(
    "/users/{user_ish}", response_model=UserOut, responses=responses(400, 401, 403, 404, 409, 422)
)
async def update_user(request: Request, user_ish: str, body: UserPatch) -> UserOut:
    """Disable or enable a user, make or unmake a site admin, set a password (site admins)."""
    ctx = context(request)
    changes = body.model_dump(exclude_unset=True, exclude={"password"})
    async with ctx.db.read() as conn:
        await users.get_user(conn, ctx.caller, user_ish)  # refuse non-admins before hashing
    if body.password is not None:
        changes["password_hash"] = await passwords.hash_password(body.password)
    async with ctx.db.transaction() as conn:
        user = await users.update_user(conn, ctx.caller, user_ish, changes)
    return UserOut.of(user)


@router.delete("/users/{user_ish}", status_code=204, responses=responses(401, 403, 404, 409))
async def delete_user(request: Request, user_ish: str) -> Response:
    """Delete a user with their tokens and credentials (site admins)."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        await users.delete_user(conn, ctx.caller, user_ish)
    return Response(status_code=204)
