"""Artifacts: a run's kept files, listed and downloaded (with ``Range`` and ``ETag``),
and the latest successful run's file of a job, at a stable address."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam

from ishcd.api import paging
from ishcd.api.blob_response import blob_response
from ishcd.api.deps import Authenticated, Context, PageDep, context, public_link
from ishcd.api.errors import ErrorOut, error_response, responses
from ishcd.api.routers.runs import JOB_RUN
from ishcd.api.schemas.artifacts import ArtifactOut
from ishcd.db.artifacts import ArtifactRecord
from ishcd.services import artifacts

router = APIRouter(tags=["artifacts"], route_class=Authenticated)

FILE_DOC = (
    "The file's bytes. Text, images and JSON open in the browser (`Content-Disposition: "
    "inline`; HTML and SVG with `Content-Security-Policy: sandbox`, so their scripts never "
    "run on this origin); anything else, or anything with `download=1`, downloads "
    "(`attachment`). One `Range` of bytes is served as 206 with `Content-Range`; `ETag` is "
    "the file's SHA-256, and `If-None-Match` with it answers 304."
)
FILE_HEADERS = {
    "ETag": {"description": 'The SHA-256 of the content, quoted: `"<hex>"`'},
    "Accept-Ranges": {"description": "`bytes`"},
    "Content-Disposition": {"description": "`inline` or `attachment`, with the file's name"},
}
# The file's own content type (text/plain, image/png, application/zip...).
ANY_FILE = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
FILE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": FILE_DOC, "content": ANY_FILE, "headers": FILE_HEADERS},
    206: {
        "description": "The bytes of the one `Range` asked for (`Content-Range: bytes a-b/size`)",
        "content": ANY_FILE,
        "headers": {**FILE_HEADERS, "Content-Range": {"description": "`bytes a-b/size`"}},
    },
    304: {"description": "`If-None-Match` names this content: not sent again"},
    416: {
        "model": ErrorOut,
        "description": "The `Range` starts past the file's end (`Content-Range: bytes */size`)",
        "headers": {"Content-Range": {"description": "`bytes */size`"}},
    },
    **responses(401, 404, 422),
}

PathIn = Annotated[
    str,
    PathParam(
        max_length=artifacts.MAX_PATH,
        description="The artifact's path in the workspace, as listed (`/`-separated)",
    ),
]
DownloadQuery = Annotated[
    bool, Query(description="Download it (`attachment`), even a kind the browser would show")
]


def download_url(request: Request, record: ArtifactRecord) -> str:
    """Where to download an artifact: by its run's id alone."""
    path = f"/v1/runs/{record.run_id}/artifacts/{quote(record.path, safe='/')}"
    return public_link(request, request.url.replace(path=path, query=""))


async def _list(
    request: Request, response: Response, page: PageDep, run_id: str, **where: str | None
) -> list[ArtifactOut]:
    ctx = context(request)
    async with ctx.db.read() as conn:
        _run, rows = await artifacts.list_artifacts(
            conn, ctx.caller, run_id, limit=page.fetch, offset=page.offset, **where
        )
    return [
        ArtifactOut.of(row, download_url(request, row))
        for row in page.finish(request, response, rows)
    ]


async def _serve(
    request: Request, ctx: Context, record: ArtifactRecord, download: bool
) -> Response:
    how = artifacts.serving(record.content_type, download)
    answer = await blob_response(
        request,
        ctx.server.blobs,
        record.sha256,
        record.size,
        how.media_type,
        record.path.rsplit("/", 1)[-1],
        inline=how.inline,
        sandbox=True,
    )
    if answer.status_code == 416:  # an error answer as every other: JSON that says why
        said = error_response(
            416,
            f"range: {record.path!r} has {record.size} bytes; the range asked for starts past them",
        )
        said.headers["Content-Range"] = f"bytes */{record.size}"
        return said
    return answer


async def _download(
    request: Request, run_id: str, path: str, download: bool, **where: str | None
) -> Response:
    ctx = context(request)
    async with ctx.db.read() as conn:
        _run, record = await artifacts.get_artifact(conn, ctx.caller, run_id, path, **where)
    return await _serve(request, ctx, record, download)


LIST_RESPONSES = paging.responses(401, 404, 422)


@router.get(JOB_RUN + "/artifacts", response_model=list[ArtifactOut], responses=LIST_RESPONSES)
@paging.documented
async def list_artifacts(
    request: Request,
    response: Response,
    project_ish: str,
    job_ish: str,
    run_id: str,
    page: PageDep,
) -> list[ArtifactOut]:
    """List a run's artifacts, by path."""
    return await _list(request, response, page, run_id, project_ish=project_ish, job_ish=job_ish)


@router.get("/runs/{run_id}/artifacts", response_model=list[ArtifactOut], responses=LIST_RESPONSES)
@paging.documented
async def list_artifacts_by_id(
    request: Request, response: Response, run_id: str, page: PageDep
) -> list[ArtifactOut]:
    """List a run's artifacts by the run's id alone."""
    return await _list(request, response, page, run_id)


@router.get(JOB_RUN + "/artifacts/{path:path}", response_class=Response, responses=FILE_RESPONSES)
async def download_artifact(
    request: Request,
    project_ish: str,
    job_ish: str,
    run_id: str,
    path: PathIn,
    download: DownloadQuery = False,
) -> Response:
    """Download one of a run's artifacts (or show it in the browser)."""
    return await _download(
        request, run_id, path, download, project_ish=project_ish, job_ish=job_ish
    )


@router.get(
    "/runs/{run_id}/artifacts/{path:path}", response_class=Response, responses=FILE_RESPONSES
)
async def download_artifact_by_id(
    request: Request, run_id: str, path: PathIn, download: DownloadQuery = False
) -> Response:
    """Download one of a run's artifacts by the run's id alone."""
    return await _download(request, run_id, path, download)


@router.get(
    "/projects/{project_ish}/artifacts/latest", response_class=Response, responses=FILE_RESPONSES
)
async def latest_artifact(
    request: Request,
    project_ish: str,
    job: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="The job: a stored job's id or machine name, or a pipeline job's name",
        ),
    ],
    path: Annotated[
        str,
        Query(
            min_length=1,
            max_length=artifacts.MAX_PATH,
            description="The artifact's path in the workspace",
        ),
    ],
    branch: Annotated[
        str | None,
        Query(min_length=1, max_length=255, description="Only runs on this branch (else any)"),
    ] = None,
    download: DownloadQuery = False,
) -> Response:
    """Download the file at `path` of the job's latest successful run that kept one (on
    `branch`): a stable link to "the latest build". 404, saying so, when there is none."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        record = await artifacts.latest_artifact(conn, ctx.caller, project_ish, job, branch, path)
    return await _serve(request, ctx, record, download)
