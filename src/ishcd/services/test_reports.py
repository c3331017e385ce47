"""Test reports: a run's JUnit files parsed into test cases, flaky tests, insights.

A runner uploads each report its job's ``test_reports`` patterns match (kind
``test_report``, ``services.uploads``); ``receive`` parses the staged file in a
thread (``ishcd.junit``: no DTD, no entities, a size limit) and stores its
cases with the run's job, branch and revision copied, and adds them to the
run's totals. A report Ish CD will not read is an answer for the run's log
(``{"message": ...}``), never a failed run.

Flaky, as Buildkite defines it: a test (its classname and name) that both
passed and failed (or errored) on the same revision in one project, whatever
the runs (one pipeline and its reruns, or several pipelines, or runs of a
stored job given a revision). Runs without a revision never count.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ishcd import exceptions, junit
from ishcd.db import test_cases as cases_db
from ishcd.db.database import Connection, Database
from ishcd.db.runs import RunRecord
from ishcd.db.test_cases import CaseRecord
from ishcd.services import access, runs
from ishcd.services.principal import Caller
from ishcd.services.staging import Staged
from ishcd.settings import Settings

if TYPE_CHECKING:
    from ishcd.services.uploads import Keeping

DAY = 86400.0
DAYS_DEFAULT = 30
DAYS_MAX = 90
SORTS = ("failures", "slowest")
# Cases read from one report; past it the rest are not stored (the log says so).
MAX_CASES = 100_000
# Runs shown for one flaky test (its latest).
FLAKY_RUNS_SHOWN = 20


@dataclass(frozen=True)
class Parsed:
    cases: list[junit.Case]
    totals: junit.Totals
    cut: bool  # more than MAX_CASES: the rest were not read


def parse_report(path: Path, max_bytes: int, max_cases: int = MAX_CASES) -> Parsed:
    """Read a report (blocking: call it in a thread); raises ``junit.ReportError``."""
    totals = junit.Totals()
    found: Iterator[junit.Case] = junit.iter_cases(path, max_bytes)
    cases = list(itertools.islice(found, max_cases))
    cut = next(found, None) is not None
    for case in cases:
        totals.add(case.result)
    return Parsed(cases, totals, cut)


def _rows(run: RunRecord, report: str, cases: list[junit.Case], now: float) -> list[dict[str, Any]]:
    job_name = run.job_ref[1]
    return [
        {
            "run_id": run.id,
            "project_id": run.project_id,
            "job_name": job_name,
            "branch": run.branch,
            "revision": run.revision,
            "name": case.name,
            "classname": case.classname,
            "file": case.file,
            "result": case.result,
            "run_time": case.run_time,
            "message": case.message,
            "source": case.source,
            "created": now,
            "report": report,
        }
        for case in cases
    ]


def summary_line(name: str, totals: junit.Totals) -> str:
    """The log's line for a stored report: "junit.xml: 120 tests, 2 failed"."""
    parts = [f"{totals.total} test{'' if totals.total == 1 else 's'}"]
    parts += [
        f"{n} {what}" for what in ("failed", "error", "skipped") if (n := getattr(totals, what))
    ]
    return f"{name}: " + ", ".join(parts)


async def store_report(
    db: Database, run: RunRecord, name: str, path: Path, max_bytes: int
) -> dict[str, Any]:
    """Parse the report at ``path`` and store its cases for ``run``.

    Answers ``{"cases", "totals", "message"}`` (the message for the run's log), or
    ``{"message"}`` alone when the report was not read.
    """
    try:
        parsed = await asyncio.to_thread(parse_report, path, max_bytes)
    except junit.ReportError as exc:
        return {"message": f"could not read test report {name}: {exc}"}
    rows = _rows(run, name, parsed.cases, time.time())
    async with db.transaction() as conn:
        # Sent again (a retried request, a later attempt): its cases replace the first.
        await cases_db.delete_report(conn, run.id, name)
        await cases_db.insert_cases(conn, rows)
        await cases_db.count_totals(conn, run.id)
    message = "test report " + summary_line(name, parsed.totals)
    if parsed.cut:
        message += f" (only its first {MAX_CASES} cases were kept)"
    return {"cases": len(rows), "totals": parsed.totals.as_dict(), "message": message}


async def receive(keeping: Keeping, run: RunRecord, name: str, staged: Staged) -> dict[str, Any]:
    """The ``test_report`` upload handler (``services.uploads.HANDLERS``)."""
    return await store_report(keeping.db, run, name, staged.path, keeping.settings.test_report_max)


def max_report(settings: Settings) -> int:
    """The largest report a runner may send (``ISHCD_TEST_REPORT_MAX``)."""
    return settings.test_report_max


def declares_reports(run: RunRecord) -> bool:
    """Whether the run's job declared test reports (else it has no summary to read).

    Read from the JSON text without parsing it (GET run is the hot path): a run that
    declares none has ``"test_reports": []`` as ``Outputs.to_json`` is dumped, and
    a mistake here only costs one lookup that finds nothing."""
    return run.outputs_json is not None and '"test_reports": []' not in run.outputs_json


async def run_totals(conn: Connection, run: RunRecord) -> dict[str, int] | None:
    """The run's ``tests`` summary; None when no report was stored."""
    if not declares_reports(run):
        return None
    return await cases_db.get_totals(conn, run.id)


@dataclass(frozen=True)
class RunReport:
    """What the run page shows: the totals, and the failures first."""

    totals: dict[str, int]
    failing: list[CaseRecord]  # failed and errored cases, at most ``shown``
    more: bool  # more failing cases than shown


async def run_report(conn: Connection, run: RunRecord, shown: int = 50) -> RunReport | None:
    """The run's tests for its page (a run the caller may see); None without a report."""
    totals = await run_totals(conn, run)
    if totals is None:
        return None
    failing = await cases_db.failing_cases(conn, run.id, shown + 1)
    return RunReport(totals, failing[:shown], len(failing) > shown)


@dataclass(frozen=True)
class RunCaseOut:
    case: CaseRecord
    flaky: bool


async def list_run_cases(
    conn: Connection,
    caller: Caller,
    run_id: str,
    *,
    result: str | None,
    limit: int,
    offset: int,
    project_ish: str | None = None,
    job_ish: str | None = None,
) -> list[RunCaseOut]:
    """A run's test cases (of one ``result``, or all), each marked flaky or not."""
    run = await runs.get_run(conn, caller, run_id, project_ish=project_ish, job_ish=job_ish)
    found = await cases_db.list_cases(conn, run.id, result, limit, offset)
    flaky: set[tuple[str, str]] = set()
    if found and run.revision is not None:
        flaky = await cases_db.flaky_on_revision(conn, run.project_id, run.revision)
    return [RunCaseOut(case, (case.classname, case.name) in flaky) for case in found]


def check_days(days: int) -> float:
    """The start of a period of ``days`` days ending now."""
    if not 1 <= days <= DAYS_MAX:
        raise exceptions.ValidationFailed.one("days", f"must be from 1 to {DAYS_MAX}")
    return time.time() - days * DAY


@dataclass(frozen=True)
class Flaky:
    test: cases_db.FlakyTest
    flips: int  # changes between passing and failing, run after run, on each revision
    runs: list[cases_db.RunCase]  # its latest runs on the revisions where it flaked


def _flips(history: list[cases_db.RunCase]) -> tuple[int, set[str]]:
    """Flips on each revision, added up; and the revisions where it flipped."""
    flips = 0
    flaky: set[str] = set()
    last: dict[str, bool] = {}
    for case in history:
        if case.result not in ("passed", *cases_db.FAILING):
            continue
        failing = case.result != "passed"
        before = last.get(case.revision)
        if before is not None and before != failing:
            flips += 1
            flaky.add(case.revision)
        last[case.revision] = failing
    return flips, flaky


async def flaky_tests(
    conn: Connection, caller: Caller, project_ish: str, *, days: int, limit: int, offset: int
) -> list[Flaky]:
    """The project's flaky tests seen in the last ``days`` days, last seen first."""
    project = await access.project_for(conn, caller, project_ish)
    since = check_days(days)
    found = []
    for test in await cases_db.flaky_tests(conn, project.id, since, limit, offset):
        history = await cases_db.test_history(conn, project.id, test.classname, test.name, since)
        flips, revisions = _flips(history)
        shown = [case for case in history if case.revision in revisions]
        found.append(Flaky(test, flips, shown[-FLAKY_RUNS_SHOWN:][::-1]))
    return found


@dataclass(frozen=True)
class Insight:
    stats: cases_db.TestStats
    median: float
    p95: float


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values (0 for none)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


async def insights(
    conn: Connection,
    caller: Caller,
    project_ish: str,
    *,
    branch: str | None,
    days: int,
    sort: str,
    limit: int,
    offset: int,
) -> list[Insight]:
    """Per test over the last ``days`` days: runs, failures, median and p95 duration."""
    project = await access.project_for(conn, caller, project_ish)
    since = check_days(days)
    tests = await cases_db.test_stats(conn, project.id, since, branch, sort, limit, offset)
    keys = [(stats.classname, stats.name) for stats in tests]
    times = await cases_db.durations(conn, project.id, keys, since, branch)
    return [
        Insight(stats, percentile(times[key], 0.5), percentile(times[key], 0.95))
        for stats, key in zip(tests, keys, strict=True)
    ]
