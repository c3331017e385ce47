"""Test reports in Chromium: the run page's tests (failures first, with their messages)
and the project's Tests tab (flaky and slowest tests)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests import junit_samples
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
