"""The run page: a run's status, env and details, Cancel and Run again, and its log.

The page reads the run as ``GET /v1/runs/{id}`` does and cancels it as
``POST /v1/runs/{id}/cancel`` does (the same services, the same checks).
Without JavaScript it shows the last part of the log (read by range: the
page's server time does not grow with the log) and a link to the raw log;
static/js/logview.js turns that into the live viewer of the whole log.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from ishcd.db.runs import RunRecord
from ishcd.server import Server
from ishcd.services import logs, run_state, runs, test_reports, variables
from ishcd.web import run_artifacts
from ishcd.web.project_page import open_project
from ishcd.web.render import NOTICE_COOKIE, redirect
from ishcd.web.routing import Page, context_of, read_form, server_of

router = APIRouter(route_class=Page, include_in_schema=False)

# The page shows this much of the log's end without JavaScript.
TAIL_BYTES = 64 * 1024
# Escape sequences (CSI, OSC, two-byte ESC) and the other control characters
# a terminal acts on: the plain tail shows the text a terminal would.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, erasing
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, links
    r"|\x1b[@-Z\\-_]?"  # the other ESC sequences
    r"|[\x00-\x08\x0b-\x1f\x7f]"  # control characters but tab and newline
)


@dataclass(frozen=True)
class LogTail:
    text: str  # plain: escapes dropped, a progress line in its last state
    first_line: int  # the line number of the text's first line
    lines: int  # lines in the log so far
    size: int  # bytes of the log readable now
    cut: bool  # the log has more before ``text``


def plain_line(line: str) -> str:
    """A line as a terminal leaves it: after its last carriage return, escapes dropped."""
    line = line.removesuffix("\r")
    if "\r" in line:
        parts = [_ESCAPES.sub("", part) for part in line.split("\r")]
        shown = ""
        for part in parts:  # each part overwrites the start of what is there
            shown = part + shown[len(part) :]
        return shown
    return _ESCAPES.sub("", line)


async def read_tail(server: Server, run: RunRecord) -> LogTail | None:
    """The log's last ``TAIL_BYTES`` from a line start (None once the log is deleted)."""
    if run.log_removed is not None:
        return None
    part = await logs.read_range(server.logs, run, 0, None, TAIL_BYTES)
    text = part.data.decode(errors="replace")
    shown = "\n".join(plain_line(line) for line in text.split("\n"))
    return LogTail(shown, part.first_line, part.lines, part.size, part.offset > 0)


def duration_of(run: RunRecord) -> float | None:
    if run.started is None:
        return None
    return (run.finished or time.time()) - run.started


def run_again_url(base: str, run: RunRecord) -> str | None:
    """The job's Run form, prefilled with the run's env (secret values left out)."""
    if run.job_id is None or run.job_machine_name is None:
        return None
    shown = {name: value for name, value in run.env.items() if value != variables.MASK}
    query = f"?{urlencode(shown)}" if shown else ""
    return f"{base}/jobs/{run.job_machine_name}/run{query}"


async def _show(request: Request, project_ish: str, run_id: str, template: str) -> Response:
    page = await open_project(request, project_ish)
    ctx = context_of(request)
    async with ctx.db.read() as conn:
        run = await runs.get_run(conn, ctx.caller, run_id, project_ish=page.project.id)
    tail = shown_artifacts = tests = None
    if template == "run_page.html":
        tail = await read_tail(server_of(request), run)
        shown_artifacts = await run_artifacts.artifacts_of(ctx.db, run)
        async with ctx.db.read() as conn:
            tests = await test_reports.run_report(conn, run)
    return page.render(
        request,
        template,
        "runs",
        run=run,
        finished=run.status in run_state.FINISHED,
        duration=duration_of(run),
        tail=tail,
        artifacts=shown_artifacts,
        tests=tests,
        run_again=run_again_url(page.base, run),
        origin=run.origin,
        started_by_token=run.created_by_token,
    )


@router.get("/projects/{project_ish}/runs/{run_id}")
async def run_page(request: Request, project_ish: str, run_id: str) -> Response:
    return await _show(request, project_ish, run_id, "run_page.html")


@router.get("/projects/{project_ish}/runs/{run_id}/summary")
async def run_summary(request: Request, project_ish: str, run_id: str) -> Response:
    """The page's summary alone, for its script to reload while the run goes."""
    # A one-time notice is for the next page a person opens, not for this part:
    # left out here, the render keeps it.
    request.cookies.pop(NOTICE_COOKIE, None)
    return await _show(request, project_ish, run_id, "run_summary.html")


@router.post("/projects/{project_ish}/runs/{run_id}/cancel")
async def cancel(request: Request, project_ish: str, run_id: str) -> Response:
    page = await open_project(request, project_ish)
    await read_form(request, page.session)
    ctx = context_of(request)
    async with ctx.db.transaction() as conn:
        run = await runs.cancel_run(
            conn, ctx.caller, run_id, runtime=ctx.server.runtime, project_ish=page.project.id
        )
    said = "Run canceled." if run.status in run_state.FINISHED else "Cancel requested."
    return redirect(f"{page.base}/runs/{run.id}", said)
