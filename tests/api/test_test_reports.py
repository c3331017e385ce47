"""Test reports through the real API and the embedded runner: a job's script writes
JUnit files (pytest, jest-junit, Surefire, and hostile or broken ones), the runner
sends them, and the run's tests, its summary, flaky tests and insights are read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ishcd.db import runs as runs_db
from ishcd.db.query import Query
from ishcd.db.runs import RunRecord
from ishcd.db.tables import runs as runs_table
from ishcd.services import test_reports
from tests import junit_samples
from tests.api.conftest import Api
from tests.api.test_pipeline_git import Repo
from tests.api.test_pipelines import jobs_of, wait_pipeline, workflow_of
from tests.junit_samples import write_files

REPORT_MAX = 8192  # ISHCD_TEST_REPORT_MAX here: the samples fit, "big.xml" does not


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"test_report_max": REPORT_MAX}


GOOD = {
    "reports/pytest.xml": junit_samples.PYTEST,
    "reports/jest.xml": junit_samples.JEST,
    "reports/surefire.xml": junit_samples.SUREFIRE,
}
BAD = {
    "reports/bomb.xml": junit_samples.BILLION_LAUGHS,
    "reports/xxe.xml": junit_samples.EXTERNAL_ENTITY,
    "reports/cut.xml": junit_samples.MALFORMED,
    "reports/page.xml": junit_samples.NOT_JUNIT,
}
BIG = "reports/big.xml"
BIG_SCRIPT = (
    f"{{ echo '<testsuite>'; for i in $(seq 200); do "
    f'echo "<testcase name=\\"t$i\\" classname=\\"big\\" time=\\"0.1\\"/>"; done; '
    f"echo '</testsuite>'; }} > {BIG}\n"
)


async def log_of(api: Api, run_id: str) -> str:
    return (await api.get(f"/v1/runs/{run_id}/log")).text


async def test_reports_are_parsed_and_bad_ones_are_lines_in_the_log(api: Api) -> None:
    await api.project("P")
    script = write_files({**GOOD, **BAD}) + BIG_SCRIPT + "exit 1\n"
    await api.job("p", script, name="unit", test_reports=["reports/*.xml", "missing/*.xml"])
    started = await api.start("p", "unit")
    assert started["tests"] is None
    run = await api.wait(started["id"])
    assert (run["status"], run["exit_code"], run["error_reason"]) == ("error", 1, "failed")
    # pytest 5 (1 failed, 1 error, 1 skipped), jest 3 (1 failed, 1 skipped), surefire 3 (1 error)
    assert run["tests"] == {"total": 11, "passed": 5, "failed": 2, "skipped": 2, "error": 2}

    log = await log_of(api, run["id"])
    assert "[ishcd] test report reports/pytest.xml: 5 tests, 1 failed, 1 error, 1 skipped\n" in log
    assert "[ishcd] test report reports/jest.xml: 3 tests, 1 failed, 1 skipped\n" in log
    assert "[ishcd] test report reports/surefire.xml: 3 tests, 1 error\n" in log
    assert "[ishcd] could not read test report reports/bomb.xml: it declares a DTD" in log
    assert "[ishcd] could not read test report reports/xxe.xml: it declares a DTD" in log
    assert "could not read test report reports/cut.xml: it is not well-formed XML (line 3" in log
    assert "could not read test report reports/page.xml: not a JUnit report" in log
    assert "[ishcd] could not read test report reports/big.xml: " in log
    assert "[ishcd] test reports: pattern 'missing/*.xml' matched no files\n" in log
    assert "root:x:0:0" not in log  # the external entity was never fetched

    listed = await api.get(f"/v1/runs/{run['id']}/tests", params={"per_page": 100})
    assert listed.status_code == 200
    cases = listed.json()
    assert len(cases) == 11
    # Reports go in the order of their paths: jest, pytest, surefire.
    assert [c["name"] for c in cases[:2]] == ["sum adds 1 + 2 to equal 3", "sum adds negatives"]
    div = next(c for c in cases if c["name"] == "test_div")
    assert div == {
        "name": "test_div",
        "classname": "tests.test_math",
        "file": "tests/test_math.py",
        "result": "failed",
        "run_time": 0.25,
        "message": div["message"],
        "source": "junit",
        "flaky": False,  # a stored job's run has no revision
    }
    assert div["message"].startswith("ZeroDivisionError: division by zero\ndef test_div():")

    failed = await api.get(
        f"/v1/projects/p/jobs/unit/runs/{run['id']}/tests", params={"result": "failed"}
    )
    assert sorted(c["name"] for c in failed.json()) == ["sum adds negatives", "test_div"]
    page = await api.get(f"/v1/runs/{run['id']}/tests", params={"per_page": 4, "page": 3})
    assert [c["name"] for c in page.json()] == [c["name"] for c in cases[8:11]]
    assert 'rel="prev"' in page.headers["Link"]
    assert 'rel="next"' not in page.headers["Link"]

    bad = await api.get(f"/v1/runs/{run['id']}/tests", params={"result": "broken"})
    assert bad.status_code == 422
    assert (
        await api.get("/v1/projects/p/jobs/other/runs/" + run["id"] + "/tests")
    ).status_code == 404
    listed_runs = (await api.get("/v1/projects/p/runs")).json()
    assert listed_runs[0]["tests"] is None  # lists leave it out: read the run


async def test_a_run_without_reports_has_no_summary(api: Api) -> None:
    await api.project("P")
    await api.job("p", "true", name="plain")
    await api.job("p", "true", name="declared", test_reports=["none/*.xml"])
    plain = await api.wait((await api.start("p", "plain"))["id"])
    declared = await api.wait((await api.start("p", "declared"))["id"])
    assert plain["tests"] is None
    assert declared["tests"] is None
    assert declared["status"] == "complete"
    assert "pattern 'none/*.xml' matched no files" in await log_of(api, declared["id"])
    assert (await api.get(f"/v1/runs/{plain['id']}/tests")).json() == []


async def test_insights_per_test(api: Api) -> None:
    await api.project("P")
    slow = (
        '<testsuite><testcase classname="k" name="slow" time="{t}"/>'
        '<testcase classname="k" name="shaky" time="0.1">{f}</testcase></testsuite>'
    )
    # Three runs: "slow" takes 1, 2, 9 s; "shaky" fails in the second.
    for t, f in ((1, ""), (2, "<failure message='no'/>"), (9, "")):
        files = {"reports/r.xml": slow.format(t=t, f=f)}
        await api.job("p", write_files(files), name=f"j{t}", test_reports=["reports/*.xml"])
        run = await api.wait((await api.start("p", f"j{t}"))["id"])
        assert run["tests"]["total"] == 2

    by_failures = await api.get("/v1/projects/p/tests/insights")
    assert by_failures.status_code == 200
    first, second = by_failures.json()
    assert (first["name"], first["runs"], first["failures"]) == ("shaky", 3, 1)
    assert first["failure_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert (second["name"], second["median_duration"], second["p95_duration"]) == ("slow", 2, 9)
    assert second["mean_duration"] == 4

    slowest = (await api.get("/v1/projects/p/tests/insights", params={"sort": "slowest"})).json()
    assert [t["name"] for t in slowest] == ["slow", "shaky"]
    other_branch = await api.get("/v1/projects/p/tests/insights", params={"branch": "main"})
    assert other_branch.json() == []  # stored jobs' runs have no branch
    for bad in ({"days": 0}, {"days": 91}, {"sort": "name"}):
        answer = await api.get("/v1/projects/p/tests/insights", params=bad)
        assert answer.status_code == 422, bad
    assert (await api.get("/v1/projects/nope/tests/insights")).status_code == 404
    assert (await api.get("/v1/projects/p/tests/flaky")).json() == []


async def _stored_run(api: Api, job: str, revision: str | None) -> RunRecord:
    """A finished run of ``job``, given ``revision`` as a pipeline's run would carry it."""
    run = await api.wait((await api.start("p", job))["id"])
    async with api.server.database.transaction() as conn:
        await conn.execute(_SET_REVISION, id=run["id"], revision=revision)
    async with api.server.database.read() as conn:
        found = await runs_db.get_run(conn, run["id"])
    assert found is not None
    return found


_SET_REVISION = Query(
    sa.update(runs_table)
    .where(runs_table.c.id == sa.bindparam("id"))
    .values(revision=sa.bindparam("revision"), branch="main")
)


async def test_flaky_is_per_revision_in_the_store(api: Api, tmp_path: Path) -> None:
    """The store's side of flaky detection, on runs given revisions directly (the
    pipeline test below goes through a real rerun)."""
    await api.project("P")
    await api.job("p", "true", name="unit")
    report = tmp_path / "r.xml"

    async def store(run: RunRecord, failing: bool) -> None:
        failure = "<failure message='flaked'/>" if failing else ""
        report.write_text(
            f'<testsuite><testcase classname="k" name="flaky">{failure}</testcase>'
            '<testcase classname="k" name="steady"/></testsuite>'
        )
        answer = await test_reports.store_report(
            api.server.database, run, "r.xml", report, REPORT_MAX
        )
        assert answer["cases"] == 2

    a1, a2, a3 = [await _stored_run(api, "unit", "a" * 40) for _ in range(3)]
    b1, b2 = [await _stored_run(api, "unit", "b" * 40) for _ in range(2)]
    none1, none2 = [await _stored_run(api, "unit", None) for _ in range(2)]
    for run, failing in ((a1, False), (a2, True), (a3, False), (b1, True), (b2, True)):
        await store(run, failing)
    await store(none1, False)
    await store(none2, True)  # no revision: never flaky

    flaky = (await api.get("/v1/projects/p/tests/flaky")).json()
    assert len(flaky) == 1
    (test,) = flaky
    assert (test["classname"], test["name"], test["flips"], test["revisions"]) == (
        "k",
        "flaky",
        2,
        1,
    )
    assert [r["run_id"] for r in test["runs"]] == [a3.id, a2.id, a1.id]
    assert [r["result"] for r in test["runs"]] == ["passed", "failed", "passed"]
    assert {r["revision"] for r in test["runs"]} == {"a" * 40}
    assert test["runs"][0]["branch"] == "main"
    assert test["runs"][0]["job"] == "unit"

    cases = (await api.get(f"/v1/runs/{a1.id}/tests")).json()
    assert [(c["name"], c["flaky"]) for c in cases] == [("flaky", True), ("steady", False)]
    on_b = (await api.get(f"/v1/runs/{b1.id}/tests")).json()
    assert [c["flaky"] for c in on_b] == [False, False]  # failed every time on b
    assert [c["flaky"] for c in (await api.get(f"/v1/runs/{none2.id}/tests")).json()] == [
        False,
        False,
    ]
    assert (await api.get("/v1/projects/p/tests/flaky", params={"days": 0})).status_code == 422


async def test_a_test_that_passes_on_a_rerun_of_the_same_revision_is_flaky(
    api: Api, tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "repo")
    await api.project("P", repository=str(repo.origin))
    flag = tmp_path / "network-is-back"
    revision = repo.push({".ishcd.yml": junit_samples.FLAKY_PIPELINE.format(flag=flag)})
    created = await api.post("/v1/projects/p/pipelines", json={"branch": "main"})
    assert created.status_code == 201, created.text
    pipeline_id = created.json()["id"]
    assert (await wait_pipeline(api, pipeline_id))["status"] == "error"
    first = await workflow_of(api, pipeline_id)
    failed_run = (await jobs_of(api, first["id"]))["test"]["run_id"]
    assert (await api.get("/v1/projects/p/tests/flaky")).json() == []  # failed, never passed

    flag.touch()
    rerun = await api.post(f"/v1/workflows/{first['id']}/rerun", json={"from_failed": True})
    assert rerun.status_code == 201, rerun.text
    assert (await wait_pipeline(api, pipeline_id))["status"] == "complete"
    passed_run = (await jobs_of(api, rerun.json()["workflow_id"]))["test"]["run_id"]
    assert passed_run != failed_run
    read = (await api.get(f"/v1/runs/{passed_run}")).json()
    assert read["tests"] == {"total": 2, "passed": 2, "failed": 0, "skipped": 0, "error": 0}

    (flaky,) = (await api.get("/v1/projects/p/tests/flaky")).json()
    assert (flaky["classname"], flaky["name"], flaky["flips"], flaky["revisions"]) == (
        "api",
        "test_fetch",
        1,
        1,
    )
    assert [(r["run_id"], r["result"]) for r in flaky["runs"]] == [
        (passed_run, "passed"),
        (failed_run, "failed"),
    ]
    assert {(r["revision"], r["branch"], r["job"]) for r in flaky["runs"]} == {
        (revision, "main", "test")
    }
    for run_id in (failed_run, passed_run):
        cases = (await api.get(f"/v1/runs/{run_id}/tests")).json()
        assert [(c["name"], c["flaky"]) for c in cases] == [
            ("test_fetch", True),
            ("test_parse", False),
        ]
    on_main = await api.get("/v1/projects/p/tests/insights", params={"branch": "main"})
    fetch = next(t for t in on_main.json() if t["name"] == "test_fetch")
    assert (fetch["runs"], fetch["failures"], fetch["failure_rate"]) == (2, 1, 0.5)


async def test_a_report_sent_again_replaces_its_cases(api: Api, tmp_path: Path) -> None:
    """A retried upload (its answer was lost) or a later attempt sends the same report
    again: its cases and the run's totals count it once."""
    from ishcd.db import test_cases as cases_db

    await api.project("P")
    await api.job("p", "true", name="unit")
    run = await _stored_run(api, "unit", "c" * 40)
    first, second = tmp_path / "first.xml", tmp_path / "second.xml"
    first.write_text(
        '<testsuite><testcase classname="k" name="a"><failure/></testcase></testsuite>'
    )
    second.write_text('<testsuite><testcase classname="k" name="b"/></testsuite>')
    db = api.server.database
    for _ in range(2):
        await test_reports.store_report(db, run, "out/first.xml", first, REPORT_MAX)
    await test_reports.store_report(db, run, "out/second.xml", second, REPORT_MAX)
    first.write_text('<testsuite><testcase classname="k" name="a"/></testsuite>')
    await test_reports.store_report(db, run, "out/first.xml", first, REPORT_MAX)
    async with db.read() as conn:
        totals = await cases_db.get_totals(conn, run.id)
    assert totals == {"total": 2, "passed": 2, "failed": 0, "skipped": 0, "error": 0}
    cases = (await api.get(f"/v1/runs/{run.id}/tests")).json()
    assert sorted((c["name"], c["result"]) for c in cases) == [("a", "passed"), ("b", "passed")]
