"""The job pages in Chromium: a job made from its form, started from its Run form.

With ISHCD_DOCS_SCREENSHOTS=1 the tests also save the pages' pictures for the
docs (docs/ui/job*.png: helpers.save_for_docs).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser.helpers import Account, create_user, login, save_for_docs, unique
from tests.live import wait_for_run

SCRIPT = 'echo "$GREETING $WHO"\ntest -n "$PASS"  # from its stored default\n'
VARIABLES = [
    {"name": "WHO", "required": True, "description": "Whom to greet"},
    {"name": "GREETING", "default": "hello", "description": "What to say"},
    {"name": "PASS", "secret": True, "default": "hunter2", "description": "The password"},
]


def _project(api: httpx.Client) -> str:
    machine_name = unique("shop")
    body = {"name": "Web shop", "machine_name": machine_name}
    response = api.post("/v1/projects", json=body)
    assert response.status_code == 201, response.text
    return machine_name


def _job(api: httpx.Client, project: str) -> dict[str, Any]:
    body = {"name": "Greet", "machine_name": "greet", "script": SCRIPT, "variables": VARIABLES}
    response = api.post(f"/v1/projects/{project}/jobs", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _sign_in(page: Page, base_url: str, admin: Account) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, base_url, admin.username, admin.password)


def test_a_job_made_from_its_form_runs_from_its_run_form(
    page: Page, base_url: str, admin: Account, api: httpx.Client, tmp_path: Path
) -> None:
    project = _project(api)
    gate = tmp_path / "go"
    script = (
        f'echo "waiting for $WHO"\nwhile [ ! -e {gate} ]; do sleep 0.05; done\n'
        'test -n "$PASS"\necho "hello $WHO"\n'
    )
    _sign_in(page, base_url, admin)
    page.goto(f"/projects/{project}/jobs/new")
    page.get_by_label("Name", exact=False).first.fill("Back up prod")
    page.locator('textarea[name="script"]').fill(script)
    page.locator('input[name="var-0-name"]').fill("WHO")
    page.locator('input[name="var-0-description"]').fill("Whom to greet")
    page.locator('input[name="var-0-required"]').check()
    page.locator('input[name="var-1-name"]').fill("PASS")
    page.locator('input[name="var-1-secret"]').check()
    expect(page.locator('input[name="var-1-default"]')).to_have_attribute("type", "password")
    page.locator('input[name="var-1-default"]').fill("hunter2")
    page.get_by_role("button", name="Add more rows").click()  # the script adds one in place
    expect(page.locator('input[name="var-2-name"]')).to_be_visible()
    expect(page.locator('input[name="var_rows"]')).to_have_value("3")
    save_for_docs(page, "job-form")
    page.get_by_role("button", name="Create job").click()

    expect(page).to_have_url(re.compile(rf"/projects/{project}/jobs/back-up-prod$"))
    expect(page.get_by_role("status")).to_contain_text("Job Back up prod created.")
    expect(page.locator("table.variables")).to_contain_text("set (hidden)")
    assert "hunter2" not in page.content()

    page.get_by_role("link", name="Run", exact=True).click()
    expect(page).to_have_url(re.compile(r"/jobs/back-up-prod/run$"))
    expect(page.locator(".run-field").first).to_contain_text("required")
    page.locator('input[name="env.WHO"]').fill("world")
    page.get_by_role("button", name="Start run").click()

    expect(page).to_have_url(re.compile(rf"/projects/{project}/runs/[0-9a-f-]{{36}}$"))
    expect(page.get_by_role("status").first).to_contain_text("Run started.")
    # The run page shows what the job prints, live.
    expect(page.locator(".log-row", has_text="waiting for world")).to_be_visible()
    expect(page.locator(".log-row", has_text="hello world")).to_have_count(0)
    gate.touch()
    expect(page.locator(".log-row", has_text="hello world")).to_be_visible()
    run = wait_for_run(api, page.url.rsplit("/", 1)[1])
    assert run["status"] == "complete", run
    assert run["env"] == {"WHO": "world"}


def test_a_job_made_with_artifacts_shows_them(
    page: Page, base_url: str, admin: Account, api: httpx.Client
) -> None:
    project = _project(api)
    _sign_in(page, base_url, admin)
    page.goto(f"/projects/{project}/jobs/new")
    page.get_by_label("Name", exact=False).first.fill("Build")
    page.locator('textarea[name="script"]').fill("make\n")
    page.locator('textarea[name="artifact_paths"]').fill("dist/*.whl\nscreenshots/**")
    page.locator('select[name="artifact_when"]').select_option("on_failure")
    page.locator('input[name="artifact_expire_in"]').fill("30d")
    page.locator('textarea[name="test_reports"]').fill("reports/*.xml")
    page.locator('textarea[name="cache_restore"]').fill("deps-{{ branch }}\ndeps-")
    page.locator('input[name="cache_save_key"]').fill("deps-{{ branch }}")
    page.locator('textarea[name="cache_save_paths"]').fill(".venv")
    page.get_by_role("button", name="Create job").click()

    expect(page).to_have_url(re.compile(rf"/projects/{project}/jobs/build$"))
    expect(page.locator("dd.artifacts")).to_have_text(
        "dist/*.whl screenshots/**, kept after a failed run, expire after 30d"
    )
    expect(page.locator("dd.test-reports")).to_have_text("reports/*.xml")
    expect(page.locator("dd.cache")).to_have_text(
        "restored from deps-{{ branch }}, deps-; saved as deps-{{ branch }} from .venv"
    )
    job = api.get(f"/v1/projects/{project}/jobs/build").json()
    assert job["artifacts"] == {
        "paths": ["dist/*.whl", "screenshots/**"],
        "when": "on_failure",
        "expire_in": 30 * 86400,
    }


def test_a_link_prefills_the_run_form(
    page: Page, base_url: str, admin: Account, api: httpx.Client
) -> None:
    project = _project(api)
    _job(api, project)
    _sign_in(page, base_url, admin)
    page.goto(f"/projects/{project}/jobs/greet/run?WHO=from%20a%20wiki&PASS=leaked&EXTRA=1")
    expect(page.locator('input[name="env.WHO"]')).to_have_value("from a wiki")
    expect(page.locator('input[name="env.GREETING"]')).to_have_value("hello")
    expect(page.locator('input[name="env.PASS"]')).to_have_value("")
    expect(page.locator('input[name="env.PASS"]')).to_have_attribute("type", "password")
    expect(page.locator(".notice.ignored").first).to_contain_text("EXTRA")
    expect(page.get_by_text("Leave empty to use the stored default.")).to_be_visible()
    save_for_docs(page, "job-run")
    page.get_by_role("button", name="Start run").click()
    expect(page).to_have_url(re.compile(rf"/projects/{project}/runs/[0-9a-f-]{{36}}$"))
    run = wait_for_run(api, page.url.rsplit("/", 1)[1])
    assert run["status"] == "complete", run  # the stored secret default was used
    assert run["env"] == {"WHO": "from a wiki", "GREETING": "hello"}
    assert "hello from a wiki" in run["log"]
    page.goto(f"/projects/{project}/jobs/greet")
    expect(page.locator("table.runs")).to_contain_text("complete")
    save_for_docs(page, "job")


def test_a_required_field_left_empty_shows_the_error(
    page: Page, base_url: str, admin: Account, api: httpx.Client
) -> None:
    project = _project(api)
    _job(api, project)
    _sign_in(page, base_url, admin)
    page.goto(f"/projects/{project}/jobs/greet/run")
    page.locator('input[name="env.GREETING"]').fill("hi")
    page.locator('input[name="env.PASS"]').fill("typed secret")
    page.get_by_role("button", name="Start run").click()
    expect(page.get_by_role("alert").first).to_contain_text("env.WHO")
    expect(page.locator('input[name="env.WHO"]')).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".run-field.invalid")).to_contain_text("WHO is required")
    expect(page.locator('input[name="env.GREETING"]')).to_have_value("hi")
    expect(page.locator('input[name="env.PASS"]')).to_have_value("")
    assert api.get(f"/v1/projects/{project}/runs").json() == []


def test_an_admin_edits_and_deletes_a_job(
    page: Page, base_url: str, admin: Account, api: httpx.Client
) -> None:
    project = _project(api)
    _job(api, project)
    _sign_in(page, base_url, admin)
    page.goto(f"/projects/{project}/jobs/greet")
    page.get_by_role("link", name="Edit").click()
    expect(page.locator('input[name="var-2-default"]')).to_have_value("")  # the secret stays
    page.locator('input[name="var-1-secret"]').check()
    expect(page.locator('input[name="var-1-default"]')).to_have_attribute("type", "password")
    page.locator('input[name="name"]').fill("Greet everyone")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Job Greet everyone saved.")
    job = api.get(f"/v1/projects/{project}/jobs/greet").json()
    assert [v["default"] for v in job["variables"]] == [None, "***", "***"]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(rf"/projects/{project}$"))
    expect(page.get_by_role("status").first).to_contain_text("Job Greet everyone deleted.")
    assert api.get(f"/v1/projects/{project}/jobs/greet").status_code == 404


def test_a_reader_sees_no_run_button_and_is_refused_when_posting(
    page: Page, base_url: str, api: httpx.Client
) -> None:
    project = _project(api)
    _job(api, project)
    reader = create_user(api, unique("rita"), "correct horse battery")
    member = {"username": reader.username, "role": "read"}
    assert api.post(f"/v1/projects/{project}/members", json=member).status_code == 201
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, base_url, reader.username, reader.password)
    page.goto(f"/projects/{project}/jobs/greet")
    expect(page.locator("table.variables")).to_contain_text("WHO")
    expect(page.get_by_role("link", name="Run", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    token = page.locator("body").get_attribute("data-csrf")
    assert token
    shown = page.goto(f"/projects/{project}/jobs/greet/run")
    assert shown is not None
    assert shown.status == 403
    posted = page.request.post(
        f"/projects/{project}/jobs/greet/run",
        form={"csrf_token": token, "env.WHO": "anyway"},
        max_redirects=0,
    )
    assert posted.status == 403
    assert api.get(f"/v1/projects/{project}/runs").json() == []
