"""The front door: the login page, and the Projects tab it leads to (a server of its own,
so the tab shows exactly the projects made here)."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import Page, expect

from tests.browser import helpers
from tests.browser.helpers import save_for_docs


def _start(api: httpx.Client, project: str, job: str) -> str:
    started = api.post(f"/v1/projects/{project}/jobs/{job}/runs")
    assert started.status_code == 201, started.text
    return str(started.json()["id"])


def _wait(api: httpx.Client, run_id: str) -> None:
    deadline = time.monotonic() + 60
    while api.get(f"/v1/runs/{run_id}").json()["status"] not in ("complete", "error"):
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.1)


def test_sign_in_and_see_each_project_with_its_latest_run(
    page: Page, base_url: str, api: httpx.Client, admin: helpers.Account
) -> None:
    for name, script in (("Web shop", "echo deployed"), ("Nightly backup", "exit 3")):
        project = api.post("/v1/projects", json={"name": name})
        assert project.status_code == 201, project.text
        pid = project.json()["id"]
        job = api.post(f"/v1/projects/{pid}/jobs", json={"name": "Deploy", "script": script})
        assert job.status_code == 201, job.text
        _wait(api, _start(api, pid, job.json()["id"]))
    api.post("/v1/projects", json={"name": "Fresh project"})

    page.goto("/")
    expect(page).to_have_url(f"{base_url}/login")
    save_for_docs(page, "login")
    helpers.login(page, base_url, admin.username, admin.password)
    expect(page).to_have_url(f"{base_url}/projects")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(3)
    shop = rows.filter(has_text="Web shop")
    expect(shop.locator(".status")).to_contain_text("complete")
    backup = rows.filter(has_text="Nightly backup")
    expect(backup.locator(".status")).to_contain_text("error")
    expect(rows.filter(has_text="Fresh project")).to_contain_text("No runs yet")
    save_for_docs(page, "projects")
    shop.get_by_role("link", name="Deploy").click()
    expect(page).to_have_url(f"{base_url}/projects/web-shop/runs/" + page.url.rsplit("/", 1)[-1])
    expect(page.locator("body")).to_contain_text("deployed")


def test_signing_out_ends_the_session(page: Page, base_url: str, admin: helpers.Account) -> None:
    helpers.login(page, base_url, admin.username, admin.password)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base_url}/login")
    expect(page.locator(".notice")).to_contain_text("signed out")
    page.goto("/projects")
    expect(page).to_have_url(f"{base_url}/login?next=%2Fprojects")
