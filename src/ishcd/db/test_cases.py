"""Queries on parsed test cases (``test_cases``) and runs' totals (``run_tests``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection
from ishcd.db.query import Query
from ishcd.db.tables import run_tests, test_cases

# Rows per INSERT: 13 parameters each stays far below SQLite's and asyncpg's limits.
BATCH = 500
FAILING = ("failed", "error")
RESULT_COLUMNS = ("total", "passed", "failed", "skipped", "error")
_CASE_COLUMNS = (
    "run_id",
    "project_id",
    "job_name",
    "branch",
    "revision",
    "name",
    "classname",
    "file",
    "result",
    "run_time",
    "message",
    "source",
    "created",
    "report",
)


class CaseRecord(NamedTuple):
    id: int
    name: str
    classname: str
    file: str | None
    result: str
    run_time: float
    message: str | None
    source: str | None


class RunCase(NamedTuple):
    """A test's case in one run: what the flaky list shows of each run."""

    run_id: str
    result: str
    revision: str
    branch: str | None
    job_name: str
    created: float


class FlakyTest(NamedTuple):
    classname: str
    name: str
    revisions: int  # revisions on which it both passed and failed
    last_seen: float


class TestStats(NamedTuple):
    classname: str
    name: str
    runs: int
    failures: int
    mean: float
    last_seen: float


_inserts: dict[int, Query] = {}


def _insert(rows: int) -> Query:
    found = _inserts.get(rows)
    if found is None:
        values: list[dict[str, Any]] = [
            {name: sa.bindparam(f"{name}_{i}") for name in _CASE_COLUMNS} for i in range(rows)
        ]
        found = _inserts[rows] = Query(sa.insert(test_cases).values(values))
    return found


async def insert_cases(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert cases (dicts of ``_CASE_COLUMNS``), ``BATCH`` rows per statement."""
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        params = {f"{name}_{i}": row[name] for i, row in enumerate(batch) for name in row}
        await conn.execute(_insert(len(batch)), **params)


_RUN: sa.BindParameter[str] = sa.bindparam("run_id")
_TOTALS = Query(
    sa.select(*(run_tests.c[c] for c in RESULT_COLUMNS)).where(run_tests.c.run_id == _RUN)
)
_SET = Query(
    sa.update(run_tests)
    .where(run_tests.c.run_id == _RUN)
    .values({c: sa.bindparam(c, type_=sa.Integer) for c in RESULT_COLUMNS})
)
_CREATE = Query(
    sa.insert(run_tests).values(
        run_id=_RUN, **{c: sa.bindparam(c, type_=sa.Integer) for c in RESULT_COLUMNS}
    )
)


_DELETE_REPORT = Query(
    sa.delete(test_cases).where(
        test_cases.c.run_id == _RUN, test_cases.c.report == sa.bindparam("report")
    )
)
_COUNTS = Query(
    sa.select(test_cases.c.result, sa.func.count())
    .where(test_cases.c.run_id == _RUN)
    .group_by(test_cases.c.result)
)


_DELETE_OF_RUN = Query(sa.delete(test_cases).where(test_cases.c.run_id == _RUN))


async def delete_of_runs(conn: Connection, run_ids: list[str]) -> None:
    """Remove these runs' cases (their totals stay in ``run_tests``)."""
    for run_id in run_ids:
        await conn.execute(_DELETE_OF_RUN, run_id=run_id)


async def delete_report(conn: Connection, run_id: str, report: str) -> None:
    """Remove the cases an earlier sending of this report stored (a retry, an attempt)."""
    await conn.execute(_DELETE_REPORT, run_id=run_id, report=report)


async def count_totals(conn: Connection, run_id: str) -> None:
    """Set the run's totals from its stored cases (made on its first report)."""
    totals = dict.fromkeys(RESULT_COLUMNS, 0)
    for result, count in await conn.fetch_all(_COUNTS, run_id=run_id):
        if result in totals:
            totals[result] = int(count)
        totals["total"] += int(count)
    if not await conn.execute(_SET, run_id=run_id, **totals):
        await conn.execute(_CREATE, run_id=run_id, **totals)


async def get_totals(conn: Connection, run_id: str) -> dict[str, int] | None:
    row = await conn.fetch_one(_TOTALS, run_id=run_id)
    return None if row is None else dict(zip(RESULT_COLUMNS, row, strict=True))


_RESULT: sa.BindParameter[str] = sa.bindparam("result")
_PAGE = (sa.bindparam("limit", type_=sa.Integer), sa.bindparam("offset", type_=sa.Integer))
_CASES = sa.select(
    test_cases.c.id,
    test_cases.c.name,
    test_cases.c.classname,
    test_cases.c.file,
    test_cases.c.result,
    test_cases.c.run_time,
    test_cases.c.message,
    test_cases.c.source,
).where(test_cases.c.run_id == _RUN)
_LIST = Query(_CASES.order_by(test_cases.c.id).limit(_PAGE[0]).offset(_PAGE[1]))
_LIST_RESULT = Query(
    _CASES.where(test_cases.c.result == _RESULT)
    .order_by(test_cases.c.id)
    .limit(_PAGE[0])
    .offset(_PAGE[1])
)


_FAILING_FIRST = Query(
    _CASES.where(sa.or_(*(test_cases.c.result == result for result in FAILING)))
    .order_by(test_cases.c.id)
    .limit(_PAGE[0])
)


async def failing_cases(conn: Connection, run_id: str, limit: int) -> list[CaseRecord]:
    """A run's failed and errored cases, in report order."""
    rows = await conn.fetch_all(_FAILING_FIRST, run_id=run_id, limit=limit)
    return [CaseRecord._make(row) for row in rows]


async def list_cases(
    conn: Connection, run_id: str, result: str | None, limit: int, offset: int
) -> list[CaseRecord]:
    """A run's cases in the order of its reports, optionally of one result."""
    if result is None:
        rows = await conn.fetch_all(_LIST, run_id=run_id, limit=limit, offset=offset)
    else:
        rows = await conn.fetch_all(
            _LIST_RESULT, run_id=run_id, result=result, limit=limit, offset=offset
        )
    return [CaseRecord._make(row) for row in rows]


_PROJECT = test_cases.c.project_id == sa.bindparam("project_id")
_SINCE = test_cases.c.created >= sa.bindparam("since", type_=sa.Float)
_PASSES = sa.func.sum(sa.case((test_cases.c.result == "passed", 1), else_=0))
_FAILING = sa.or_(*(test_cases.c.result == result for result in FAILING))
_FAILS = sa.func.sum(sa.case((_FAILING, 1), else_=0))
_TEST = (test_cases.c.classname, test_cases.c.name)

# Tests that both passed and failed on one revision (Buildkite's flaky).
_FLAKY_ON_REVISION = Query(
    sa.select(*_TEST)
    .where(_PROJECT, test_cases.c.revision == sa.bindparam("revision"))
    .group_by(*_TEST)
    .having(_PASSES > 0, _FAILS > 0)
)
_flaky_pairs = (
    sa.select(*_TEST, test_cases.c.revision, sa.func.max(test_cases.c.created).label("seen"))
    .where(_PROJECT, _SINCE, test_cases.c.revision.is_not(None))
    .group_by(*_TEST, test_cases.c.revision)
    .having(_PASSES > 0, _FAILS > 0)
    .subquery()
)
_LAST_SEEN = sa.func.max(_flaky_pairs.c.seen)
_FLAKY = Query(
    sa.select(
        _flaky_pairs.c.classname,
        _flaky_pairs.c.name,
        sa.func.count().label("revisions"),
        _LAST_SEEN.label("last_seen"),
    )
    .group_by(_flaky_pairs.c.classname, _flaky_pairs.c.name)
    .order_by(_LAST_SEEN.desc(), _flaky_pairs.c.classname, _flaky_pairs.c.name)
    .limit(_PAGE[0])
    .offset(_PAGE[1])
)
_TEST_CASES = Query(
    sa.select(
        test_cases.c.run_id,
        test_cases.c.result,
        test_cases.c.revision,
        test_cases.c.branch,
        test_cases.c.job_name,
        test_cases.c.created,
    )
    .where(
        _PROJECT,
        _SINCE,
        test_cases.c.revision.is_not(None),
        test_cases.c.classname == sa.bindparam("classname"),
        test_cases.c.name == sa.bindparam("name"),
    )
    .order_by(test_cases.c.created, test_cases.c.id)
)


async def flaky_on_revision(
    conn: Connection, project_id: str, revision: str
) -> set[tuple[str, str]]:
    """(classname, name) of the tests that both passed and failed on ``revision``."""
    rows = await conn.fetch_all(_FLAKY_ON_REVISION, project_id=project_id, revision=revision)
    return {(row[0], row[1]) for row in rows}


async def flaky_tests(
    conn: Connection, project_id: str, since: float, limit: int, offset: int
) -> list[FlakyTest]:
    """Tests flaky on some revision since ``since``, last seen first."""
    rows = await conn.fetch_all(
        _FLAKY, project_id=project_id, since=since, limit=limit, offset=offset
    )
    return [FlakyTest._make(row) for row in rows]


async def test_history(
    conn: Connection, project_id: str, classname: str, name: str, since: float
) -> list[RunCase]:
    """A test's cases since ``since`` on known revisions, oldest first."""
    rows = await conn.fetch_all(
        _TEST_CASES, project_id=project_id, since=since, classname=classname, name=name
    )
    return [RunCase._make(row) for row in rows]


def _stats(by: str, branch: bool) -> Query:
    runs = sa.func.count().label("runs")
    failures = _FAILS.label("failures")
    mean = sa.func.avg(test_cases.c.run_time).label("mean")
    stmt = sa.select(*_TEST, runs, failures, mean, sa.func.max(test_cases.c.created)).where(
        _PROJECT, _SINCE, test_cases.c.result != "skipped"
    )
    if branch:
        stmt = stmt.where(test_cases.c.branch == sa.bindparam("branch"))
    first = sa.desc(failures) if by == "failures" else sa.desc(mean)
    second = sa.desc(mean) if by == "failures" else sa.desc(failures)
    return Query(
        stmt.group_by(*_TEST)
        .order_by(first, second, test_cases.c.classname, test_cases.c.name)
        .limit(_PAGE[0])
        .offset(_PAGE[1])
    )


_STATS = {
    (by, branch): _stats(by, branch) for by in ("failures", "slowest") for branch in (False, True)
}


_durations_queries: dict[tuple[int, bool], Query] = {}


def _durations(tests: int, branch: bool) -> Query:
    """Durations of ``tests`` tests (``classname_i``, ``name_i``), by test: one pass over
    the period however many tests a page holds."""
    found = _durations_queries.get((tests, branch))
    if found is not None:
        return found
    which = sa.or_(
        *(
            sa.and_(
                test_cases.c.classname == sa.bindparam(f"classname_{i}"),
                test_cases.c.name == sa.bindparam(f"name_{i}"),
            )
            for i in range(tests)
        )
    )
    stmt = sa.select(*_TEST, test_cases.c.run_time).where(
        _PROJECT, _SINCE, test_cases.c.result != "skipped", which
    )
    if branch:
        stmt = stmt.where(test_cases.c.branch == sa.bindparam("branch"))
    found = _durations_queries[(tests, branch)] = Query(stmt)
    return found


async def test_stats(
    conn: Connection,
    project_id: str,
    since: float,
    branch: str | None,
    sort: str,
    limit: int,
    offset: int,
) -> list[TestStats]:
    """Per test since ``since`` (skipped cases aside): runs, failures, mean duration."""
    params: dict[str, Any] = {"project_id": project_id, "since": since}
    if branch is not None:
        params["branch"] = branch
    query = _STATS[(sort, branch is not None)]
    rows = await conn.fetch_all(query, limit=limit, offset=offset, **params)
    return [TestStats(r[0], r[1], int(r[2]), int(r[3] or 0), float(r[4] or 0), r[5]) for r in rows]


async def durations(
    conn: Connection,
    project_id: str,
    tests: list[tuple[str, str]],
    since: float,
    branch: str | None,
) -> dict[tuple[str, str], list[float]]:
    """Each test's durations since ``since`` (skipped cases aside), shortest first."""
    found: dict[tuple[str, str], list[float]] = {test: [] for test in tests}
    if not tests:
        return found
    params: dict[str, Any] = {"project_id": project_id, "since": since}
    if branch is not None:
        params["branch"] = branch
    for i, (classname, name) in enumerate(tests):
        params[f"classname_{i}"] = classname
        params[f"name_{i}"] = name
    for row in await conn.fetch_all(_durations(len(tests), branch is not None), **params):
        found[(row[0], row[1])].append(float(row[2]))
    for times in found.values():
        times.sort()
    return found
