"""The runner protocol over HTTP: what agents call (``/v1/runner/jobs/…``).

Every call carries the agent's credential (``api.runner_auth``) and, past the
request for work, the attempt it holds the run at: 409 when that is not the
run's current one. The domain is ``services.runner_jobs``.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from ishcd import exceptions
from ishcd.api.deps import MAX_INT64, ServerDep
from ishcd.api.errors import ErrorOut, error_response, responses
from ishcd.api.runner_auth import RunnerDep
from ishcd.api.schemas.caches import CacheFindIn, CacheFindOut, CacheHitOut
from ishcd.api.schemas.runner_jobs import (
    MAX_ATTEMPT,
    AssignmentOut,
    AttemptIn,
    ControlIn,
    ControlOut,
    FinishIn,
    FinishOut,
    JobRequestIn,
    LogSizeOut,
    SectionsIn,
)
from ishcd.server import Server
from ishcd.services import runner_jobs

router = APIRouter(prefix="/runner/jobs", tags=["runner"])

# The log and upload routes read and limit their body themselves, as it streams in:
# the request guard leaves their body alone (ishcd.api.guard).
STREAMED = re.compile(r"/v1/runner/jobs/[^/]+/(log|uploads/[^/]+)")
MAX_LOG_CHUNK = runner_jobs.MAX_LOG_CHUNK
LOG_SIZE_HEADER = "X-Log-Size"
BUNDLE_CHUNK = 1024 * 1024
GAP: dict[int | str, dict[str, Any]] = {
    416: {
        "model": ErrorOut,
        "description": "Bytes are missing before this: the server holds fewer than the "
        f"request says; send again from byte `{LOG_SIZE_HEADER}`",
        "headers": {LOG_SIZE_HEADER: {"schema": {"type": "integer"}}},
    }
}


def _desk(server: Server) -> runner_jobs.Desk:
    return runner_jobs.Desk(server.database, server.logs, server.runtime)


def _held(server: Server, wait: float) -> float:
    """How long a request may be held: what the agent asks, at most ISHCD_RUNNER_MAX_WAIT."""
    return min(wait, server.settings.runner_max_wait)


def _gap(exc: exceptions.LogGap) -> JSONResponse:
    response = error_response(416, exc.message, [{"field": "offset", "message": exc.message}])
    response.headers[LOG_SIZE_HEADER] = str(exc.size)
    return response


@router.post(
    "/request",
    response_model=AssignmentOut,
    responses={204: {"description": "No work within the wait"}, **responses(400, 401, 422)},
)
async def request_job(
    request: Request, server: ServerDep, runner: RunnerDep, body: JobRequestIn
) -> Any:
    """Ask for work: held up to `wait` seconds, answered the moment a run this runner
    may take (all its labels among the runner's) is queued. A paused runner gets none."""
    assignment = await runner_jobs.request_job(
        _desk(server), runner, body.slot, _held(server, body.wait), request.is_disconnected
    )
    if assignment is None:
        return Response(status_code=204)
    return AssignmentOut.of(assignment)


@router.post(
    "/{run_id}/heartbeat", response_model=ControlOut, responses=responses(400, 401, 404, 409, 422)
)
async def heartbeat(
    server: ServerDep, runner: RunnerDep, run_id: str, body: AttemptIn
) -> ControlOut:
    """Say the run's attempt is still alive; `cancel` when someone canceled the run,
    409 when the attempt is no longer the run's current one (stop it)."""
    control = await runner_jobs.heartbeat(_desk(server), runner, run_id, body.attempt)
    return ControlOut(control=control)


@router.post(
    "/{run_id}/control", response_model=ControlOut, responses=responses(400, 401, 404, 409, 422)
)
async def control(
    request: Request, server: ServerDep, runner: RunnerDep, run_id: str, body: ControlIn
) -> ControlOut:
    """Wait for a cancel: held up to `wait` seconds, answered `cancel` the moment the
    run is canceled, else `continue`."""
    answer = await runner_jobs.control(
        _desk(server),
        runner,
        run_id,
        body.attempt,
        _held(server, body.wait),
        request.is_disconnected,
    )
    return ControlOut(control=answer)


@router.put(
    "/{run_id}/log",
    response_model=LogSizeOut,
    responses={**responses(401, 404, 409, 413, 422), **GAP},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": f"Bytes of the log, from `offset`: at most {MAX_LOG_CHUNK} bytes",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def append_log(
    request: Request,
    server: ServerDep,
    runner: RunnerDep,
    run_id: str,
    attempt: Annotated[int, Query(ge=1, le=MAX_ATTEMPT)],
    offset: Annotated[int, Query(ge=0, le=MAX_INT64, description="The runner's byte offset")],
) -> Any:
    """Append to the run's log at `offset`. Bytes already received are skipped (a resent
    chunk is stored once, an overlapping one adds its new part); a chunk past the end
    is a 416. The answer is the log's size after."""
    data = await _read_body(request)
    if data is None:
        return error_response(
            413,
            f"a log chunk is at most {MAX_LOG_CHUNK} bytes",
            [{"field": "body", "message": f"must be at most {MAX_LOG_CHUNK} bytes"}],
        )
    try:
        size = await runner_jobs.append_log(_desk(server), runner, run_id, attempt, offset, data)
    except exceptions.LogGap as exc:
        return _gap(exc)
    return LogSizeOut(size=size)


async def _read_body(request: Request) -> bytes | None:
    """The body as it streams in, up to ``MAX_LOG_CHUNK`` bytes; None past that."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_LOG_CHUNK:
        return None
    data = bytearray()
    async for piece in request.stream():
        data += piece
        if len(data) > MAX_LOG_CHUNK:
            return None
    return bytes(data)


@router.put("/{run_id}/sections", status_code=204, responses=responses(400, 401, 404, 409, 422))
async def set_sections(
    server: ServerDep, runner: RunnerDep, run_id: str, body: SectionsIn
) -> Response:
    """Report the run's step sections so far, all of them (a repeat replaces them)."""
    await runner_jobs.set_sections(_desk(server), runner, run_id, body.attempt, body.as_dicts())
    return Response(status_code=204)


@router.post(
    "/{run_id}/finish",
    response_model=FinishOut,
    responses={**responses(400, 401, 404, 409, 422), **GAP},
)
async def finish(server: ServerDep, runner: RunnerDep, run_id: str, body: FinishIn) -> Any:
    """Report how the run ended. Sent again after it went through, it answers the same;
    416 while the server holds fewer than `log_size` bytes of its log."""
    try:
        status = await runner_jobs.finish(
            _desk(server),
            runner,
            run_id,
            body.attempt,
            exit_code=body.exit_code,
            error_reason=body.error_reason,
            log_size=body.log_size,
        )
    except exceptions.LogGap as exc:
        return _gap(exc)
    return FinishOut(status=status)


@router.get(
    "/{run_id}/source",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "A git bundle of the run's checkout revision (a clone of it checks "
            "the revision out)",
            "content": {"application/x-git-bundle": {"schema": {"type": "string"}}},
        },
        **responses(401, 404, 409, 422),
    },
)
async def source(
    server: ServerDep,
    runner: RunnerDep,
    run_id: str,
    attempt: Annotated[int, Query(ge=1, le=MAX_ATTEMPT)],
) -> StreamingResponse:
    """The run's code, for a pipeline job: a bundle made from the server's mirror of the
    project's repository; 404 when the run has none."""
    bundle = await runner_jobs.source_bundle(_desk(server), runner, run_id, attempt)
    size = os.fstat(bundle.fileno()).st_size

    async def chunks() -> AsyncIterator[bytes]:
        with bundle:
            while chunk := await asyncio.to_thread(bundle.read, BUNDLE_CHUNK):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type="application/x-git-bundle",
        headers={"Content-Length": str(size)},
    )


# Caches (``services.caches``): what a restore finds, and its archive.


@router.post(
    "/{run_id}/caches/find",
    response_model=CacheFindOut,
    responses=responses(400, 401, 404, 409, 422),
)
async def find_cache(
    server: ServerDep, runner: RunnerDep, run_id: str, body: CacheFindIn
) -> CacheFindOut:
    """The cache of the run's project to restore: for each key in order, the one saved
    under it, else the newest whose key it starts; `cache` null when none matches."""
    hit = await runner_jobs.find_cache(_desk(server), runner, run_id, body.attempt, body.keys)
    if hit is None:
        return CacheFindOut(cache=None)
    return CacheFindOut(cache=CacheHitOut(id=hit.id, key=hit.key, sha256=hit.sha256, size=hit.size))


@router.get(
    "/{run_id}/caches/{cache_id}",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The cache's archive (a gzip'd tar); its use is recorded",
            "content": {"application/gzip": {"schema": {"type": "string"}}},
        },
        **responses(401, 404, 409, 422),
    },
)
async def fetch_cache(
    server: ServerDep,
    runner: RunnerDep,
    run_id: str,
    cache_id: Annotated[int, Path(ge=1, le=MAX_INT64)],
    attempt: Annotated[int, Query(ge=1, le=MAX_ATTEMPT)],
) -> Response:
    """A cache of the run's project, to restore: 404 when it was removed since found."""
    hit = await runner_jobs.use_cache(_desk(server), runner, run_id, attempt, cache_id)
    if await server.blobs.size(hit.sha256) is None:
        return error_response(404, f"cache {cache_id}'s archive is missing")
    return StreamingResponse(
        server.blobs.read(hit.sha256),
        media_type="application/gzip",
        headers={"Content-Length": str(hit.size)},
    )
