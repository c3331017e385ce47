"""Files agents send: ``PUT /v1/runner/jobs/{run_id}/uploads/{kind}`` (runner protocol).

The body streams to a staged file under the data directory (never into
memory), hashed as it comes and limited as it comes (413, nothing kept);
then ``services.uploads`` checks the lease again and gives it to the kind's
handler. The request guard leaves this body alone (``runner.STREAMED``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from ishcd.api.deps import ServerDep
from ishcd.api.errors import error_response, responses
from ishcd.api.runner_auth import RunnerDep
from ishcd.api.schemas.runner_jobs import MAX_ATTEMPT
from ishcd.services import staging, uploads

router = APIRouter(prefix="/runner/jobs", tags=["runner"])


def _too_large(limit: int) -> JSONResponse:
    response = error_response(
        413,
        f"the file is larger than the limit of {limit} bytes",
        [{"field": "body", "message": f"must be at most {limit} bytes"}],
    )
    response.headers["Connection"] = "close"  # the rest of the body is not read
    return response


@router.put(
    "/{run_id}/uploads/{kind}",
    response_model=dict[str, Any],
    responses=responses(400, 401, 404, 409, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file's bytes (at most the kind's limit)",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def upload(
    request: Request,
    server: ServerDep,
    runner: RunnerDep,
    run_id: str,
    kind: Annotated[
        str,
        Path(max_length=uploads.MAX_KIND, description="artifact, test_report or cache"),
    ],
    attempt: Annotated[int, Query(ge=1, le=MAX_ATTEMPT)],
    name: Annotated[
        str,
        Query(
            min_length=1,
            max_length=uploads.MAX_NAME,
            description="An artifact's path in the workspace, a report's path, a cache key",
        ),
    ],
) -> Any:
    """Send a file of the run: an artifact, a test report or a cache, as `kind` says. The
    answer is the server's for the run's log (what it kept); a file it refuses is the
    status it says why with (413 too large, 422 a name it will not keep...)."""
    settings = server.settings
    uploads.check_kind(kind)
    lease = await uploads.agent_lease(server.database, runner, run_id, attempt)
    limit = uploads.max_upload(settings, kind)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return _too_large(limit)
    try:
        staged = await staging.stage_stream(request.stream(), settings.staging_dir, limit)
    except staging.TooLarge:
        return _too_large(limit)
    except ClientDisconnect:
        return Response(status_code=400)  # no one to answer: the staged part is gone
    keeping = uploads.Keeping(server.database, server.blobs, settings)
    try:
        return await uploads.receive(keeping, lease, kind, name, staged)
    except uploads.UploadRefused as exc:
        return error_response(exc.status, exc.message, [{"field": "body", "message": exc.message}])
