"""Test reports: a run's test cases, its summary, a project's flaky tests and insights."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ishcd import junit
from ishcd.services import test_reports
from ishcd.services.test_reports import Flaky, Insight, RunCaseOut

Result = Literal["passed", "failed", "skipped", "error"]


class TestsSummaryOut(BaseModel):
    total: int
    passed: int
    failed: int
    skipped: int
    error: int


class TestCaseOut(BaseModel):
    """One test case of a run (CircleCI's test metadata fields, and ``flaky``)."""

    name: str
    classname: str
    file: str | None = Field(description="The test's file, when the report names it")
    result: Result
    run_time: float = Field(description="Seconds")
    message: str | None = Field(
        description="A failure's, error's or skip's message and text, cut to "
        f"{junit.MESSAGE_MAX} characters"
    )
    source: str | None = Field(description='The report\'s format: "junit"')
    flaky: bool = Field(
        description="The same test (classname and name) both passed and failed on this "
        "run's revision in this project"
    )

    @classmethod
    def of(cls, found: RunCaseOut) -> TestCaseOut:
        case = found.case
        return cls(
            name=case.name,
            classname=case.classname,
            file=case.file,
            result=case.result,
            run_time=case.run_time,
            message=case.message,
            source=case.source,
            flaky=found.flaky,
        )


class FlakyRunOut(BaseModel):
    run_id: str
    result: Result
    revision: str
    branch: str | None
    job: str = Field(description="The job's machine name (a pipeline job's name)")
    created: int = Field(description="When the case was stored")


class FlakyTestOut(BaseModel):
    classname: str
    name: str
    flips: int = Field(
        description="How many times its result changed between passing and failing, "
        "run after run on the same revision, added up over its revisions"
    )
    revisions: int = Field(description="Revisions on which it both passed and failed")
    last_seen: int = Field(description="When it last flaked (its latest case on such a revision)")
    runs: list[FlakyRunOut] = Field(
        description=f"Its latest {test_reports.FLAKY_RUNS_SHOWN} cases on those revisions, "
        "newest first"
    )

    @classmethod
    def of(cls, found: Flaky) -> FlakyTestOut:
        return cls(
            classname=found.test.classname,
            name=found.test.name,
            flips=found.flips,
            revisions=found.test.revisions,
            last_seen=int(found.test.last_seen),
            runs=[
                FlakyRunOut(
                    run_id=case.run_id,
                    result=case.result,
                    revision=case.revision,
                    branch=case.branch,
                    job=case.job_name,
                    created=int(case.created),
                )
                for case in found.runs
            ],
        )


class TestInsightOut(BaseModel):
    classname: str
    name: str
    runs: int = Field(description="Cases of it in the period (skipped ones aside)")
    failures: int = Field(description="Of those, failed or errored")
    failure_rate: float = Field(description="failures / runs, from 0 to 1")
    median_duration: float = Field(description="Seconds")
    p95_duration: float = Field(description="Seconds (nearest rank)")
    mean_duration: float = Field(description="Seconds; what `sort=slowest` orders by")
    last_seen: int

    @classmethod
    def of(cls, found: Insight) -> TestInsightOut:
        s = found.stats
        return cls(
            classname=s.classname,
            name=s.name,
            runs=s.runs,
            failures=s.failures,
            failure_rate=round(s.failures / s.runs, 4) if s.runs else 0.0,
            median_duration=found.median,
            p95_duration=found.p95,
            mean_duration=round(s.mean, 6),
            last_seen=int(s.last_seen),
        )
