"""Test reports in Chromium: the run page's tests (failures first, with their messages)
and the project's Tests tab (flaky and slowest tests)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests import junit_samples
from tests.api.test_pipeline_git import Repo
from tests.browser.helpers import Account, login, unique
from tests.junit_samples import write_files
from tests.live import wait_for_run


def _project_with_job(api: httpx.Client, script: str) -> str:
    project = unique("tests")
    made = api.post("/v1/projects", json={"name": project, "machine_name": project})
    assert made.status_code == 201, made.text
    body = {"name": "unit", "script": script, "test_reports": ["reports/*.xml"]}
    job = api.post(f"/v1/projects/{project}/jobs", json=body)
    assert job.status_code == 201, job.text
    return project


def _run(api: httpx.Client, project: str) -> str:
    started = api.post(f"/v1/projects/{project}/jobs/unit/runs")
    assert started.status_code == 201, started.text
    run_id = str(started.json()["id"])
    wait_for_run(api, run_id)
    return run_id


def test_the_run_page_shows_the_tests_and_the_failures_first(
    page: Page, api: httpx.Client, admin: Account, base_url: str
) -> None:
    project = _project_with_job(api, write_files({"reports/pytest.xml": junit_samples.PYTEST}))
    run_id = _run(api, project)
    login(page, base_url, admin.username, admin.password)
    page.goto(f"/projects/{project}/runs/{run_id}")
    tests = page.locator("section.run-tests")
    expect(tests.locator(".tests-summary")).to_contain_text("5 tests")
    expect(tests.locator(".tests-summary")).to_contain_text("1 failed")
    failures = tests.locator(".test-failure")
    expect(failures).to_have_count(2)  # the failed and the errored, not the passed or skipped
    expect(failures.nth(0)).to_contain_text("test_div")
    expect(failures.nth(0).locator("pre.test-message")).to_contain_text(
        "ZeroDivisionError: division by zero"
    )
    expect(failures.nth(1)).to_contain_text("test_connect")
    expect(tests).not_to_contain_text("test_add")


def test_the_tests_tab_lists_the_slowest_tests(
    page: Page, api: httpx.Client, admin: Account, base_url: str
) -> None:
    project = _project_with_job(api, write_files({"reports/surefire.xml": junit_samples.SUREFIRE}))
    _run(api, project)
    login(page, base_url, admin.username, admin.password)
    page.goto(f"/projects/{project}")
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Tests").click()
    expect(page).to_have_url(f"{base_url}/projects/{project}/tests")
    rows = page.locator("table.slowest tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("testApp")  # 1,200.25 s
    expect(rows.first).to_contain_text("1200.250 s")
    expect(page.locator("section.flaky-tests")).to_contain_text("No flaky tests")


def _wait_pipeline(api: httpx.Client, pipeline_id: str) -> str:
    deadline = time.monotonic() + 60
    while True:
        status = str(api.get(f"/v1/pipelines/{pipeline_id}").json()["status"])
        if status in ("complete", "error"):
            return status
        assert time.monotonic() < deadline, f"pipeline still {status}"
        time.sleep(0.05)


def test_the_tests_tab_shows_a_test_flaky_across_a_rerun(
    page: Page, api: httpx.Client, admin: Account, base_url: str, tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "repo")
    flag = tmp_path / "fixed"
    repo.push({".ishcd.yml": junit_samples.FLAKY_PIPELINE.format(flag=flag)})
    project = unique("flaky")
    body = {"name": project, "machine_name": project, "repository": str(repo.origin)}
    assert api.post("/v1/projects", json=body).status_code == 201
    created = api.post(f"/v1/projects/{project}/pipelines", json={"branch": "main"})
    assert created.status_code == 201, created.text
    pipeline_id = created.json()["id"]
    assert _wait_pipeline(api, pipeline_id) == "error"
    workflow = api.get(f"/v1/pipelines/{pipeline_id}/workflows").json()[0]
    flag.touch()
    rerun = api.post(f"/v1/workflows/{workflow['id']}/rerun", json={"from_failed": True})
    assert rerun.status_code == 201, rerun.text
    assert _wait_pipeline(api, pipeline_id) == "complete"

    login(page, base_url, admin.username, admin.password)
    page.goto(f"/projects/{project}/tests")
    rows = page.locator("table.flaky tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("code")).to_have_text("api \u203a test_fetch")
    expect(rows.first.locator("td").nth(1)).to_have_text("1")  # one flip
    expect(rows.first.locator("a.result")).to_have_count(2)  # passed, then failed
    rows.first.locator("a.result.failed").click()
    expect(page.locator("section.run-tests .test-failure")).to_contain_text("slow network")
