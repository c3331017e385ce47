"""Test reports: a run's test cases, a project's flaky tests and test insights."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from ishcd.api import paging
from ishcd.api.deps import Authenticated, PageDep, context
from ishcd.api.routers.runs import JOB_RUN
from ishcd.api.schemas.test_reports import FlakyTestOut, Result, TestCaseOut, TestInsightOut
from ishcd.services import test_reports

router = APIRouter(tags=["tests"], route_class=Authenticated)

ResultQuery = Annotated[Result | None, Query(description="Only the cases with this result")]
DaysQuery = Annotated[
    int,
    Query(
        ge=1,
        le=test_reports.DAYS_MAX,
        description=f"The period: the last this many days (at most {test_reports.DAYS_MAX})",
    ),
]
BranchQuery = Annotated[
    str | None, Query(max_length=255, description="Only the cases of runs on this branch")
]
SortQuery = Annotated[
    Literal["failures", "slowest"],
    Query(description="`failures`: most failures first; `slowest`: longest mean duration first"),
]


async def _cases(
    request: Request,
    response: Response,
    run_id: str,
    result: str | None,
    page: PageDep,
    **where: str | None,
) -> list[TestCaseOut]:
    ctx = context(request)
    async with ctx.db.read() as conn:
        found = await test_reports.list_run_cases(
            conn, ctx.caller, run_id, result=result, limit=page.fetch, offset=page.offset, **where
        )
    return [TestCaseOut.of(case) for case in page.finish(request, response, found)]


@router.get(
    JOB_RUN + "/tests",
    response_model=list[TestCaseOut],
    responses=paging.responses(401, 404, 422),
)
@paging.documented
async def list_run_tests(
    request: Request,
    response: Response,
    project_ish: str,
    job_ish: str,
    run_id: str,
    page: PageDep,
    result: ResultQuery = None,
) -> list[TestCaseOut]:
    """List a run's test cases from its JUnit reports, in report order."""
    return await _cases(
        request, response, run_id, result, page, project_ish=project_ish, job_ish=job_ish
    )


@router.get(
    "/runs/{run_id}/tests",
    response_model=list[TestCaseOut],
    responses=paging.responses(401, 404, 422),
)
@paging.documented
async def list_run_tests_by_id(
    request: Request, response: Response, run_id: str, page: PageDep, result: ResultQuery = None
) -> list[TestCaseOut]:
    """List the test cases of any run you can see, by its id alone."""
    return await _cases(request, response, run_id, result, page)


@router.get(
    "/projects/{project_ish}/tests/flaky",
    response_model=list[FlakyTestOut],
    responses=paging.responses(401, 404, 422),
)
@paging.documented
async def list_flaky_tests(
    request: Request,
    response: Response,
    project_ish: str,
    page: PageDep,
    days: DaysQuery = test_reports.DAYS_DEFAULT,
) -> list[FlakyTestOut]:
    """List the project's flaky tests: each both passed and failed on one revision.

    A test is its classname and name; the revision is the commit a pipeline (or a
    run given one) ran. Last flaked first, over the last `days` days.
    """
    ctx = context(request)
    async with ctx.db.read() as conn:
        found = await test_reports.flaky_tests(
            conn, ctx.caller, project_ish, days=days, limit=page.fetch, offset=page.offset
        )
    return [FlakyTestOut.of(test) for test in page.finish(request, response, found)]


@router.get(
    "/projects/{project_ish}/tests/insights",
    response_model=list[TestInsightOut],
    responses=paging.responses(401, 404, 422),
)
@paging.documented
async def get_test_insights(
    request: Request,
    response: Response,
    project_ish: str,
    page: PageDep,
    branch: BranchQuery = None,
    days: DaysQuery = test_reports.DAYS_DEFAULT,
    sort: SortQuery = "failures",
) -> list[TestInsightOut]:
    """Per test over the last `days` days: runs, failure rate, median and p95 duration."""
    ctx = context(request)
    async with ctx.db.read() as conn:
        found = await test_reports.insights(
            conn,
            ctx.caller,
            project_ish,
            branch=branch,
            days=days,
            sort=sort,
            limit=page.fetch,
            offset=page.offset,
        )
    return [TestInsightOut.of(test) for test in page.finish(request, response, found)]
