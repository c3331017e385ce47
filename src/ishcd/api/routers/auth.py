"""Token exchange: an API token for a 12-hour JWT."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ishcd.api.deps import ServerDep
from ishcd.api.errors import responses
from ishcd.api.schemas.accounts import SessionTokenOut
from ishcd.services import tokens

router = APIRouter(tags=["auth"])


@router.get("/auth/token", response_model=SessionTokenOut, responses=responses(401, 422))
async def exchange_token(
    server: ServerDep,
    api_token: Annotated[str, Query(min_length=1, description="An API token")],
) -> SessionTokenOut:
    """Exchange an API token for a JWT valid for 12 hours."""
    async with server.database.read() as conn:
        token = await tokens.exchange_token(conn, server.keys, api_token)
    return SessionTokenOut(token=token)
