"""A project's Tests tab: its flaky tests and its slowest, as the API's lists show them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.services import test_reports
from ishcd.web.project_page import open_project
from ishcd.web.routing import Page, context_of

router = APIRouter(route_class=Page, include_in_schema=False)
SHOWN = 25  # tests in each list (the API pages through the rest)


def _days(request: Request) -> int:
    """``days`` from the query, checked as the API checks it (422)."""
    given = request.query_params.get("days") or str(test_reports.DAYS_DEFAULT)
    if not given.isdigit() or not 1 <= int(given) <= test_reports.DAYS_MAX:
        raise exceptions.ValidationFailed.one(
            "days", f"must be a whole number from 1 to {test_reports.DAYS_MAX}"
        )
    return int(given)


@router.get("/projects/{project_ish}/tests")
async def tests_tab(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish)
    days = _days(request)
    ctx = context_of(request)
    async with ctx.server.database.read() as conn:
        flaky = await test_reports.flaky_tests(
            conn, ctx.caller, page.project.id, days=days, limit=SHOWN, offset=0
        )
        slowest = await test_reports.insights(
            conn,
            ctx.caller,
            page.project.id,
            branch=None,
            days=days,
            sort="slowest",
            limit=SHOWN,
            offset=0,
        )
    return page.render(
        request,
        "project_tests.html",
        "tests",
        flaky=flaky,
        slowest=slowest,
        days=days,
        days_max=test_reports.DAYS_MAX,
    )
