"""Runners: registration (by the agents themselves) and administration (site admins)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response

from ishcd.api import paging
from ishcd.api.deps import Authenticated, PageDep, ServerDep, client_ip, context
from ishcd.api.errors import responses
from ishcd.api.schemas.runners import (
    RegisteredOut,
    RegisterIn,
    RegistrationTokenCreatedOut,
    RegistrationTokenIn,
    RegistrationTokenOut,
    RunnerOut,
)
from ishcd.db.runners import ListedRegistrationToken
from ishcd.services import registration_tokens, runners

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
async def register(request: Request, server: ServerDep, body: RegisterIn) -> RegisteredOut:
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
            ip=client_ip(request),
        )
    return RegisteredOut(
        id=runner.id, name=runner.name, labels=sorted(runner.labels), credential=credential
    )


# Registration tokens: before /runners/{runner_id}, which would take their path.


@router.get(
    "/runners/registration-tokens",
    response_model=list[RegistrationTokenOut],
    responses=paging.responses(401, 403, 422),
)
@paging.documented
async def list_registration_tokens(
    request: Request, response: Response, page: PageDep
) -> list[RegistrationTokenOut]:
    """List registration tokens, newest first (site admins); never the tokens themselves."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        rows = await registration_tokens.list_registration_tokens(
            conn, ctx.caller, page.fetch, page.offset
        )
    return [RegistrationTokenOut.of(row) for row in page.finish(request, response, rows)]


@router.post(
    "/runners/registration-tokens",
    status_code=201,
    response_model=RegistrationTokenCreatedOut,
    responses=responses(400, 401, 403, 422),
)
async def create_registration_token(
    request: Request, body: RegistrationTokenIn
) -> RegistrationTokenCreatedOut:
    """Make a registration token for runners (site admins); the token is returned once."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        new = await registration_tokens.create_registration_token(
            conn, ctx.caller, body.description
        )
    listed = RegistrationTokenOut.of(ListedRegistrationToken(new.record, ctx.caller.username))
    return RegistrationTokenCreatedOut(**listed.model_dump(), token=new.token)


@router.delete(
    "/runners/registration-tokens/{token_id}",
    status_code=204,
    responses=responses(401, 403, 404),
)
async def revoke_registration_token(request: Request, token_id: str) -> Response:
    """Revoke a registration token (site admins): it registers no more runners; the
    runners it registered keep working."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        await registration_tokens.revoke_registration_token(conn, ctx.caller, token_id)
    return Response(status_code=204)


# Runners.


@router.get("/runners", response_model=list[RunnerOut], responses=paging.responses(401, 403, 422))
@paging.documented
async def list_runners(request: Request, response: Response, page: PageDep) -> list[RunnerOut]:
    """List registered runners by name, with their running runs and state (site admins)."""
    ctx = context(request)
    lost_after = ctx.server.settings.runner_lost_after
    async with ctx.db.read() as conn:
        rows = await runners.list_runners(
            conn, ctx.caller, page.fetch, page.offset, lost_after=lost_after
        )
    return [RunnerOut.of(row) for row in page.finish(request, response, rows)]


@router.get("/runners/{runner_id}", response_model=RunnerOut, responses=responses(401, 403, 404))
async def get_runner(request: Request, runner_id: str) -> RunnerOut:
    """Read a registered runner (site admins)."""
    ctx = context(request)
    lost_after = ctx.server.settings.runner_lost_after
    async with ctx.db.read() as conn:
        return RunnerOut.of(
            await runners.get_runner(conn, ctx.caller, runner_id, lost_after=lost_after)
        )


async def _pause(request: Request, runner_id: str, paused: bool) -> RunnerOut:
    ctx = context(request)
    lost_after = ctx.server.settings.runner_lost_after
    async with ctx.db.transaction() as conn:
        status = await runners.set_paused(
            conn, ctx.caller, runner_id, paused, lost_after=lost_after
        )
    return RunnerOut.of(status)


@router.post(
    "/runners/{runner_id}/pause", response_model=RunnerOut, responses=responses(401, 403, 404)
)
async def pause_runner(request: Request, runner_id: str) -> RunnerOut:
    """Pause a runner (site admins): it gets no new work; what it runs goes on."""
    return await _pause(request, runner_id, True)


@router.post(
    "/runners/{runner_id}/resume", response_model=RunnerOut, responses=responses(401, 403, 404)
)
async def resume_runner(request: Request, runner_id: str) -> RunnerOut:
    """Resume a paused runner (site admins)."""
    return await _pause(request, runner_id, False)


@router.delete("/runners/{runner_id}", status_code=204, responses=responses(401, 403, 404))
async def delete_runner(request: Request, runner_id: str) -> Response:
    """Delete a runner (site admins): its credential stops working at once."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        await runners.delete_runner(conn, ctx.caller, runner_id)
    return Response(status_code=204)
