"""A project's pages in real Chromium: New project, Jobs, Members, Settings (issue 10, page 5)."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Dialog, Page, expect

from tests.browser import helpers
from tests.browser.helpers import Account, save_for_docs
from tests.live import wait_for_run

XSS = "<script>alert(1)</script>"
PASSWORD = "correct horse battery"


def _project(api: httpx.Client, name: str, machine_name: str, **fields: str) -> dict[str, str]:
    body = {"name": name, "machine_name": machine_name, **fields}
    created = api.post("/v1/projects", json=body)
    assert created.status_code == 201, created.text
    return dict(created.json())


def _job(api: httpx.Client, project: str, name: str, script: str) -> None:
    created = api.post(f"/v1/projects/{project}/jobs", json={"name": name, "script": script})
    assert created.status_code == 201, created.text


def _member(api: httpx.Client, project: str, username: str, role: str) -> None:
    body = {"username": username, "role": role}
    added = api.post(f"/v1/projects/{project}/members", json=body)
    assert added.status_code == 201, added.text


def _no_dialogs(page: Page) -> list[str]:
    """Every JavaScript dialog the page opens (none should), dismissed."""
    opened: list[str] = []

    def seen(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    return opened


def test_create_a_project_from_the_projects_tab(page: Page, base_url: str, admin: Account) -> None:
    helpers.login(page, base_url, admin.username, admin.password)
    page.goto("/projects")
    page.get_by_role("link", name="New project").click()
    expect(page.get_by_role("heading", name="New project")).to_be_visible()
    machine_name = helpers.unique("shop")
    page.get_by_label("Name", exact=False).first.fill("Web Shop")
    page.get_by_label("Machine name").fill(machine_name)
    page.get_by_label("Description").fill("Sells things")
    save_for_docs(page, "project-new")
    page.get_by_role("button", name="Create project").click()
    expect(page).to_have_url(re.compile(rf"/projects/{machine_name}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Web Shop")
    expect(page.get_by_role("status")).to_contain_text("Project Web Shop created.")
    expect(page.get_by_role("link", name="New job")).to_be_visible()


def test_a_project_named_with_a_script_shows_as_text(
    page: Page, base_url: str, admin: Account, api: httpx.Client
) -> None:
    machine_name = helpers.unique("xss")
    _project(api, XSS, machine_name, description=XSS)
    _job(api, machine_name, XSS, "echo hi")
    opened = _no_dialogs(page)
    helpers.login(page, base_url, admin.username, admin.password)
    for path in (f"/projects/{machine_name}", f"/projects/{machine_name}/runs", "/projects"):
        page.goto(path)
        expect(page.get_by_text(XSS).first).to_be_visible()
    page.goto(f"/projects/{machine_name}/settings")
    expect(page.get_by_label("Name", exact=True)).to_have_value(XSS)
    assert opened == []


def test_a_read_only_member_sees_no_run_button_or_admin_tabs_and_is_refused(
    page: Page, base_url: str, api: httpx.Client
) -> None:
    machine_name = helpers.unique("ops")
    _project(api, "Ops", machine_name)
    _job(api, machine_name, "Deploy", "echo deploying")
    reader = helpers.create_user(api, helpers.unique("reader"), PASSWORD)
    _member(api, machine_name, reader.username, "read")
    helpers.login(page, base_url, reader.username, PASSWORD)
    page.goto(f"/projects/{machine_name}")
    expect(page.get_by_role("link", name="Deploy")).to_be_visible()
    expect(page.get_by_role("link", name="Run", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="New job")).to_have_count(0)
    tabs = page.get_by_role("navigation", name="Project")
    expect(tabs.get_by_role("link", name="Members")).to_be_visible()
    expect(tabs.get_by_role("link", name="Settings")).to_have_count(0)
    expect(tabs.get_by_role("link", name="Audit log")).to_have_count(0)
    page.goto(f"/projects/{machine_name}/members")
    expect(page.get_by_role("button", name="Add member")).to_have_count(0)
    # Posting an admin's forms anyway, with the session's own CSRF token: refused.
    token = page.locator("body").get_attribute("data-csrf") or ""
    for action, fields in (
        (f"/projects/{machine_name}/members", {"who": reader.username, "role": "admin"}),
        (f"/projects/{machine_name}/settings/tokens", {"name": "mine", "role": "read"}),
        (f"/projects/{machine_name}/settings/delete", {"confirm": machine_name}),
    ):
        answer = page.request.post(action, form={"csrf_token": token, **fields})
        assert answer.status == 403, action
    assert api.get(f"/v1/projects/{machine_name}").status_code == 200


def test_invite_by_email_and_copy_the_link(
    page: Page, base_url: str, admin: Account, api: httpx.Client
) -> None:
    machine_name = helpers.unique("team")
    _project(api, "Team", machine_name)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    helpers.login(page, base_url, admin.username, admin.password)
    page.goto(f"/projects/{machine_name}/members")
    adding = page.get_by_role("form", name="Add a member")
    adding.get_by_label("User name or email").fill("newcomer@example.com")
    adding.get_by_label("Role").select_option("write")
    adding.get_by_role("button", name="Add member").click()
    link = page.get_by_role("textbox", name="Invitation link")
    expect(link).to_have_value(re.compile(rf"^{re.escape(base_url)}/invitations/\S+$"))
    url = link.input_value()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url
    save_for_docs(page, "project-members")
    page.goto(f"/projects/{machine_name}/members")
    expect(page.get_by_role("textbox", name="Invitation link")).to_have_count(0)  # shown once
    expect(page.get_by_role("cell", name="newcomer@example.com", exact=True)).to_be_visible()
    page.goto(url)
    expect(page.get_by_role("heading", name="Join Team")).to_be_visible()


def test_generate_a_project_token_in_the_dialog_and_use_it(
    page: Page, base_url: str, admin: Account, api: httpx.Client
) -> None:
    machine_name = helpers.unique("bot")
    _project(api, "Bot", machine_name, description="The chat bot's deploys")
    secret = {"name": "DEPLOY_KEY", "value": "a-long-secret-value-1234"}
    assert api.post(f"/v1/projects/{machine_name}/envvars", json=secret).status_code == 201
    helpers.login(page, base_url, admin.username, admin.password)
    page.goto(f"/projects/{machine_name}/settings")
    page.get_by_role("button", name="Generate token").click()
    asking = page.get_by_role("dialog", name="Generate a project token")
    expect(asking).to_be_visible()
    asking.get_by_label("Name or description").fill("chatbot integration")
    asking.get_by_label("Role").select_option("write")
    asking.get_by_role("button", name="Generate").click()
    shown = page.get_by_role("dialog", name="Your new token")
    expect(shown).to_be_visible()
    expect(shown).to_contain_text("only time you will see this token")
    token = shown.get_by_label("The new token").input_value()
    assert token.count(".") == 2  # a JWT
    save_for_docs(page, "project-token-dialog")
    with page.expect_navigation():
        shown.get_by_role("button", name="Done").click()
    expect(page.get_by_role("cell", name="chatbot integration", exact=True)).to_be_visible()
    expect(page.get_by_text(token)).to_have_count(0)
    expect(page.get_by_text("a-long-secret-value-1234")).to_have_count(0)
    with httpx.Client(base_url=base_url) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get(f"/v1/projects/{machine_name}/runs", headers=headers).status_code == 200
    save_for_docs(page, "project-settings")


def test_pages_for_the_docs(page: Page, base_url: str, admin: Account, api: httpx.Client) -> None:
    """The Jobs and Runs tabs with a few runs (their screenshots illustrate docs/ui.md)."""
    machine_name = helpers.unique("web")
    _project(api, "Web", machine_name, description="The public web site and its jobs")
    for name, script in (
        ("Deploy", "echo deployed"),
        ("Backup", "exit 3"),
        ("Clear cache", "true"),
    ):
        _job(api, machine_name, name, script)
    for job in ("deploy", "backup", "deploy"):
        run = api.post(f"/v1/projects/{machine_name}/jobs/{job}/runs")
        assert run.status_code == 201, run.text
        wait_for_run(api, run.json()["id"])
    helpers.login(page, base_url, admin.username, admin.password)
    page.goto(f"/projects/{machine_name}")
    expect(page.get_by_role("link", name="Run", exact=True)).to_have_count(3)
    expect(page.get_by_text("Never run")).to_be_visible()
    save_for_docs(page, "project-jobs")
    page.goto(f"/projects/{machine_name}/runs")
    expect(page.locator("table.runs tbody tr")).to_have_count(3)
    page.get_by_label("Status").select_option("error")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.runs tbody tr")).to_have_count(1)
    page.goto(f"/projects/{machine_name}/runs")
    save_for_docs(page, "project-runs")
    page.goto(f"/projects/{machine_name}/audit")
    expect(page.get_by_text("run.create").first).to_be_visible()
    save_for_docs(page, "project-audit")
