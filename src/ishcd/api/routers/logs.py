"""Run logs: by byte offset or range, live (text or Server-Sent Events), by line, searched."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from ishcd import exceptions
from ishcd.api.deps import MAX_INT64, MAX_PAGE, Authenticated, Context, context
from ishcd.api.errors import responses
from ishcd.api.routers.runs import JOB_RUN
from ishcd.api.schemas.logs import LogLinesOut, MatchOut, SearchOut
from ishcd.db.runs import RunRecord
from ishcd.services import log_events, log_search, logs, runs

router = APIRouter(tags=["logs"], route_class=Authenticated)

LOG_DOC = (
    "text/plain: the log from byte `offset` (at most `limit` bytes), or its last `tail` "
    "bytes. What can be read is always a prefix of the final log: past its cap "
    "(ISHCD_LOG_MAX_BYTES), a running run's log shows its first half only, and the line "
    "of dropped bytes and the tail follow when the run ends.\n\n"
    "text/event-stream (sent when the request's `Accept` has it): the log as Server-Sent "
    "Events while it is written. Each `event: log` has the text of a chunk as a JSON string "
    "in `data` and the byte offset just past the chunk as its `id`; reconnecting with that "
    "id in `Last-Event-ID` (or as `offset`) resumes exactly there. A `: keepalive` comment "
    "comes every 15 s of quiet. When the run has finished and all its log is sent, an "
    '`event: status` with `{"status", "exit_code", "error_reason"}` ends the stream.'
)
HEADER_DOCS = {
    "X-Next-Offset": "Where to read on from (not sent when streaming)",
    "X-Log-Complete": "`true` once the run has finished and all its log is read",
    "X-Log-Offset": "With `limit` or `tail`: the byte offset the body starts at",
    "X-Log-First-Line": "With `limit` or `tail`: the line (from 1) of the body's first byte",
    "X-Log-Lines": "With `limit` or `tail`: the lines of the log so far",
    "X-Log-Size": "With `limit` or `tail`: the bytes of the log readable now",
}
LOG_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": LOG_DOC,
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "text/event-stream": {"schema": {"type": "string"}},
        },
        "headers": {
            name: {
                "description": text,
                "schema": {"type": "string" if name == "X-Log-Complete" else "integer"},
            }
            for name, text in HEADER_DOCS.items()
        },
    }
}
MAX_RANGE_TEXT = f"{logs.MAX_RANGE // (1024 * 1024)} MiB"

OffsetQuery = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_INT64,
        description="Byte offset to read from (for a stream: to start at, unless "
        "`Last-Event-ID` says where)",
    ),
]
FollowQuery = Annotated[
    bool, Query(description="Stream the log as text as it is written, until the run ends")
]
LimitQuery = Annotated[
    int | None,
    Query(
        ge=1,
        le=logs.MAX_RANGE,
        description=f"At most this many bytes from `offset` (up to {MAX_RANGE_TEXT})",
    ),
]
TailQuery = Annotated[
    int | None,
    Query(
        ge=1,
        le=logs.MAX_RANGE,
        description=f"The last this many bytes of the log (up to {MAX_RANGE_TEXT}), from the "
        "first line that starts in them",
    ),
]
LastEventId = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        max_length=20,
        description="Server-Sent Events: the id of the last event received; the stream "
        "resumes just after it (it wins over `offset`)",
    ),
]


async def _run(ctx: Context, run_id: str, **where: str | None) -> RunRecord:
    async with ctx.db.read() as conn:
        run = await runs.get_run(conn, ctx.caller, run_id, **where)
    logs.check_log_kept(run)
    return run


def _event_stream_offset(offset: int, last_event_id: str | None) -> int:
    if last_event_id is None:
        return offset
    if not last_event_id.isdigit() or int(last_event_id) > MAX_INT64:
        raise exceptions.ValidationFailed.one(
            "Last-Event-ID", "must be the id of an event of this stream: a byte offset"
        )
    return int(last_event_id)


async def _log(
    request: Request,
    run_id: str,
    offset: int,
    follow: bool,
    limit: int | None,
    tail: int | None,
    last_event_id: str | None,
    **where: str | None,
) -> Response:
    events = log_events.MEDIA_TYPE in request.headers.get("accept", "")
    ranged = limit is not None or tail is not None
    if ranged and (follow or events):
        field = "limit" if limit is not None else "tail"
        raise exceptions.ValidationFailed.one(field, "is for reading a part, not for streaming")
    if tail is not None and (offset or limit is not None):
        raise exceptions.ValidationFailed.one("tail", "give tail alone, without offset or limit")
    ctx = context(request)
    run = await _run(ctx, run_id, **where)
    stream_headers = {"X-Accel-Buffering": "no", "Cache-Control": "no-cache"}
    server = ctx.server
    if events:
        start = _event_stream_offset(offset, last_event_id)
        stream = log_events.log_events(ctx.db, server.logs, server.signals, run.id, start)
        return StreamingResponse(stream, media_type=log_events.MEDIA_TYPE, headers=stream_headers)
    media = "text/plain; charset=utf-8"
    if follow:
        chunks = logs.follow_log(ctx.db, server.logs, server.signals, run.id, offset)
        return StreamingResponse(chunks, media_type=media, headers=stream_headers)
    if ranged:
        part = await logs.read_range(server.logs, run, offset, limit, tail)
        headers = {
            "X-Next-Offset": str(part.next_offset),
            "X-Log-Complete": "true" if part.complete else "false",
            "X-Log-Offset": str(part.offset),
            "X-Log-First-Line": str(part.first_line),
            "X-Log-Lines": str(part.lines),
            "X-Log-Size": str(part.size),
        }
        return Response(part.data, media_type=media, headers=headers)
    whole = await logs.read_log(server.logs, run, offset)
    headers = {
        "X-Next-Offset": str(whole.next_offset),
        "X-Log-Complete": "true" if whole.complete else "false",
    }
    if whole.length <= 1024 * 1024:
        data = b"".join([chunk async for chunk in whole.chunks])
        return Response(data, media_type=media, headers=headers)
    return StreamingResponse(whole.chunks, media_type=media, headers=headers)


LOG_ERRORS = responses(401, 404, 410, 422)


@router.get(JOB_RUN + "/log", response_class=Response, responses={**LOG_RESPONSES, **LOG_ERRORS})
async def read_log(
    request: Request,
    project_ish: str,
    job_ish: str,
    run_id: str,
    offset: OffsetQuery = 0,
    follow: FollowQuery = False,
    limit: LimitQuery = None,
    tail: TailQuery = None,
    last_event_id: LastEventId = None,
) -> Response:
    """Read a run's log from a byte offset or its tail, or follow it live (`follow=1`, or
    Server-Sent Events with `Accept: text/event-stream`)."""
    return await _log(
        request,
        run_id,
        offset,
        follow,
        limit,
        tail,
        last_event_id,
        project_ish=project_ish,
        job_ish=job_ish,
    )


@router.get(
    "/runs/{run_id}/log", response_class=Response, responses={**LOG_RESPONSES, **LOG_ERRORS}
)
async def read_log_by_id(
    request: Request,
    run_id: str,
    offset: OffsetQuery = 0,
    follow: FollowQuery = False,
    limit: LimitQuery = None,
    tail: TailQuery = None,
    last_event_id: LastEventId = None,
) -> Response:
    """Read a run's log by the run's id alone."""
    return await _log(request, run_id, offset, follow, limit, tail, last_event_id)


FromQuery = Annotated[
    int, Query(alias="from", ge=1, le=MAX_INT64, description="The first line, counted from 1")
]
CountQuery = Annotated[
    int,
    Query(
        ge=1,
        le=logs.MAX_LINES,
        description=f"How many lines (at most {logs.MAX_LINES:,}; fewer past "
        f"{MAX_RANGE_TEXT} of text)",
    ),
]


async def _lines(
    request: Request, run_id: str, first: int, count: int, **where: str | None
) -> LogLinesOut:
    ctx = context(request)
    run = await _run(ctx, run_id, **where)
    found = await logs.read_lines(ctx.server.logs, run, first, count)
    return LogLinesOut(
        first=found.first,
        offset=found.offset,
        lines=found.lines,
        next_offset=found.next_offset,
        last_cut=found.last_cut,
        total_lines=found.total,
        size=found.size,
        complete=found.complete,
    )


@router.get(JOB_RUN + "/log/lines", response_model=LogLinesOut, responses=LOG_ERRORS)
async def read_log_lines(
    request: Request,
    project_ish: str,
    job_ish: str,
    run_id: str,
    first: FromQuery = 1,
    count: CountQuery = 100,
) -> LogLinesOut:
    """Read lines of a run's log by line number: one index lookup, whatever the log's size."""
    return await _lines(request, run_id, first, count, project_ish=project_ish, job_ish=job_ish)


@router.get("/runs/{run_id}/log/lines", response_model=LogLinesOut, responses=LOG_ERRORS)
async def read_log_lines_by_id(
    request: Request, run_id: str, first: FromQuery = 1, count: CountQuery = 100
) -> LogLinesOut:
    """Read lines of a run's log by the run's id alone."""
    return await _lines(request, run_id, first, count)


QQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=log_search.MAX_QUERY,
        description="What to find in a line: plain text, or a regex with `regex=1`",
    ),
]
RegexQuery = Annotated[
    bool,
    Query(
        description="`q` is a Python regex, matched on the log's bytes (`\\w`, `\\d` and "
        "case folding are ASCII); one that matches an empty string is refused"
    ),
]
IgnoreCaseQuery = Annotated[bool, Query(description="Match ASCII letters in either case")]
SearchPage = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page of matches, from 1")]
SearchPerPage = Annotated[int, Query(ge=1, le=1000, description="Matches per page")]


async def _search(
    request: Request,
    run_id: str,
    q: str,
    regex: bool,
    ignore_case: bool,
    page: int,
    per_page: int,
    **where: str | None,
) -> SearchOut:
    query = log_search.Query(q, regex=regex, ignore_case=ignore_case)
    log_search.check_query(query)
    ctx = context(request)
    run = await _run(ctx, run_id, **where)
    found = await log_search.find_in_log(
        ctx.server.logs, run, query, skip=(page - 1) * per_page, take=per_page
    )
    return SearchOut(
        total=found.total,
        page=page,
        per_page=per_page,
        matches=[MatchOut(**vars(match)) for match in found.matches],
        total_lines=found.lines,
        size=found.size,
        complete=found.complete,
    )


@router.get(JOB_RUN + "/log/search", response_model=SearchOut, responses=LOG_ERRORS)
async def search_log(
    request: Request,
    project_ish: str,
    job_ish: str,
    run_id: str,
    q: QQuery,
    regex: RegexQuery = False,
    ignore_case: IgnoreCaseQuery = False,
    page: SearchPage = 1,
    per_page: SearchPerPage = 100,
) -> SearchOut:
    """Search a run's whole log: the exact number of matches, and a page of them with
    their line numbers. A search that takes longer than 10 s is stopped (422)."""
    return await _search(
        request,
        run_id,
        q,
        regex,
        ignore_case,
        page,
        per_page,
        project_ish=project_ish,
        job_ish=job_ish,
    )


@router.get("/runs/{run_id}/log/search", response_model=SearchOut, responses=LOG_ERRORS)
async def search_log_by_id(
    request: Request,
    run_id: str,
    q: QQuery,
    regex: RegexQuery = False,
    ignore_case: IgnoreCaseQuery = False,
    page: SearchPage = 1,
    per_page: SearchPerPage = 100,
) -> SearchOut:
    """Search a run's whole log by the run's id alone."""
    return await _search(request, run_id, q, regex, ignore_case, page, per_page)
