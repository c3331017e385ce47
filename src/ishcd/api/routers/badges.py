"""Status badges (SVG images) and the project's badge key."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from ishcd import badge_svg, exceptions
from ishcd.api.deps import (
    SESSION_COOKIE,
    Authenticated,
    authenticate,
    context,
    public_base,
)
from ishcd.api.errors import responses
from ishcd.api.schemas.projects import BadgeKeyOut, BadgeOut
from ishcd.services import badges
from ishcd.services.principal import Caller

# Badges authenticate themselves: a caller is optional (the key or public_badges may do).
router = APIRouter(tags=["badges"])
keys = APIRouter(tags=["badges"], route_class=Authenticated)

SVG = "image/svg+xml"
KEY_DOC = (
    "The project's badge key (`badge.url` of GET /v1/projects/{project}): shows this "
    "project's badges, and nothing else, without a token"
)
Key = Annotated[str | None, Query(max_length=badges.KEY_MAX, description=KEY_DOC)]
Label = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=badge_svg.MAX_CHARS,
        description="The text on the left (default: `build`, or the job's name)",
    ),
]
HEADERS = {
    "ETag": {"description": "A hash of the image", "schema": {"type": "string"}},
    "Cache-Control": {
        "description": "`no-cache`: ask again each time",
        "schema": {"type": "string"},
    },
}
IMAGE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The badge: passing, failing, running or unknown",
        "content": {SVG: {"schema": {"type": "string"}}},
        "headers": HEADERS,
    },
    304: {
        "description": "Not modified: the image has the ETag in If-None-Match",
        "headers": HEADERS,
    },
    **responses(401, 404),
}


async def _caller(request: Request) -> Caller | None:
    """Who calls, if anyone: bad credentials are a 401 as everywhere, none is anonymous."""
    if request.headers.get("authorization") is None and SESSION_COOKIE not in request.cookies:
        return None
    try:
        return (await authenticate(request)).caller
    except exceptions.Unauthorized:
        if request.headers.get("authorization") is not None:
            raise
        return None  # a stale login cookie: as without one


def _matches(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _image(request: Request, badge: badges.Badge, label: str | None) -> Response:
    svg = badge_svg.render(label if label is not None else badge.label, badge.status)
    body = svg.encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=SVG, headers=headers)


@router.get(
    "/projects/{project_ish}/badge.svg",
    response_class=Response,
    responses=IMAGE,
)
async def project_badge(
    request: Request,
    project_ish: str,
    key: Key = None,
    branch: Annotated[
        str | None,
        Query(min_length=1, max_length=255, description="The project's default branch if none"),
    ] = None,
    workflow: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Only pipelines with a workflow of this name, and that workflow's status",
        ),
    ] = None,
    label: Label = None,
) -> Response:
    """The status badge of a branch's latest pipeline (SVG).

    passing (complete), failing (error: failed, canceled, timed out...), running
    (queued, running, on hold) or unknown (no pipeline). For callers who may read the
    project, with its badge key (`?key=`), or for anyone when the project has
    `public_badges`; else 404.
    """
    caller = await _caller(request)
    server = request.app.state.server
    async with server.database.read() as conn:
        badge = await badges.project_badge(
            conn, caller, project_ish, key=key, branch=branch, workflow=workflow
        )
    return _image(request, badge, label)


@router.get(
    "/projects/{project_ish}/jobs/{job_ish}/badge.svg",
    response_class=Response,
    responses=IMAGE,
)
async def job_badge(
    request: Request, project_ish: str, job_ish: str, key: Key = None, label: Label = None
) -> Response:
    """The status badge of a stored job's latest run (SVG), labelled with the job's name.

    Who may see it: as for the project's badge.
    """
    caller = await _caller(request)
    server = request.app.state.server
    async with server.database.read() as conn:
        badge = await badges.job_badge(conn, caller, project_ish, job_ish, key=key)
    return _image(request, badge, label)


@keys.post(
    "/projects/{project_ish}/badge-key",
    response_model=BadgeKeyOut,
    responses=responses(401, 403, 404),
)
async def rotate_badge_key(request: Request, project_ish: str) -> BadgeKeyOut:
    """Give the project a new badge key (project admins); the old one stops working at once."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        project = await badges.rotate_key(conn, ctx.caller, project_ish)
    assert project.badge_key is not None
    shown = BadgeOut.of(project, public_base(request))
    return BadgeKeyOut(key=project.badge_key, url=shown.url, markdown=shown.markdown)
