"""A project's saved caches (``services.caches``): listed to members, deleted by admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from ishcd.api import paging
from ishcd.api.deps import MAX_INT64, Authenticated, PageDep, context
from ishcd.api.errors import responses
from ishcd.api.schemas.caches import CacheOut
from ishcd.runner.cache_keys import MAX_KEY
from ishcd.services import caches

router = APIRouter(tags=["caches"], route_class=Authenticated)

CACHES = "/projects/{project_ish}/caches"
CacheId = Annotated[int, Path(ge=1, le=MAX_INT64, description="The cache's id")]


@router.get(CACHES, response_model=list[CacheOut], responses=paging.responses(401, 404, 422))
@paging.documented
async def list_caches(
    request: Request,
    response: Response,
    project_ish: str,
    page: PageDep,
    key: Annotated[
        str | None,
        Query(max_length=MAX_KEY, description="Only caches whose key starts with this"),
    ] = None,
) -> list[CacheOut]:
    """List the project's saved caches, newest first, with their sizes and last use."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        rows = await caches.list_caches(conn, ctx.caller, project_ish, key, page.fetch, page.offset)
    return [CacheOut.of(c) for c in page.finish(request, response, rows)]


@router.delete(CACHES, status_code=204, responses=responses(401, 403, 404, 422))
async def delete_cache_by_key(
    request: Request,
    project_ish: str,
    key: Annotated[
        str, Query(min_length=1, max_length=MAX_KEY, description="The cache's exact key")
    ],
) -> Response:
    """Delete the cache saved under `key` (project admins): the next save of that key
    stores a new one."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        await caches.delete_cache(conn, ctx.caller, project_ish, key=key)
    return Response(status_code=204)


@router.get(CACHES + "/{cache_id}", response_model=CacheOut, responses=responses(401, 404, 422))
async def get_cache(request: Request, project_ish: str, cache_id: CacheId) -> CacheOut:
    """Read one saved cache."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        return CacheOut.of(await caches.get_cache(conn, ctx.caller, project_ish, cache_id))


@router.delete(CACHES + "/{cache_id}", status_code=204, responses=responses(401, 403, 404, 422))
async def delete_cache(request: Request, project_ish: str, cache_id: CacheId) -> Response:
    """Delete a saved cache (project admins)."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        await caches.delete_cache(conn, ctx.caller, project_ish, cache_id=cache_id)
    return Response(status_code=204)
