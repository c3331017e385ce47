"""Runners: registration (by the agents themselves) and administration (site admins)."""

from __future__ import annotations

import time

from fastapi import APIRouter

from ishcd.api.deps import Authenticated, ServerDep
from ishcd.api.errors import responses
from ishcd.api.schemas.runners import RegisteredOut, RegisterIn
from ishcd.services import runners

# The registration token is the only credential here.
registration = APIRouter(tags=["runner"])
# Administration, by site admins.
router = APIRouter(tags=["runners"], route_class=Authenticated)


@registration.post(
    "/runner/register",
    status_code=201,
    response_model=RegisteredOut,
    responses=responses(400, 401, 422),
)
async def register(server: ServerDep, body: RegisterIn) -> RegisteredOut:
    """Register a runner with a registration token: its credential is returned once."""
    async with server.database.transaction() as conn:
        runner, credential = await runners.register(
            conn,
            body.token,
            name=body.name,
            labels=body.labels,
            version=body.version,
            host=body.host,
            concurrency=body.concurrency,
            now=time.time(),
        )
    return RegisteredOut(
        id=runner.id, name=runner.name, labels=sorted(runner.labels), credential=credential
    )
