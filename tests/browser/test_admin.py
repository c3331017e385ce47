"""The Account tab's password change and the Site admin pages, in real Chromium.

Each test also saves screenshots of the pages it shows (for docs/ui) under
``tests/browser/screenshots/``.
"""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser import helpers
from tests.browser.helpers import save_for_docs

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new password"


def test_a_password_change_keeps_this_browser_signed_in_and_ends_the_others(
    page: Page, base_url: str, api: httpx.Client
) -> None:
    alice = helpers.create_user(api, helpers.unique("alice"), PASSWORD)
    helpers.login(page, base_url, alice.username, PASSWORD)
    page.get_by_role("link", name="Account").click()
    page.locator('input[name="name"]').fill("Alice Liddell")
    page.locator('input[name="email"]').fill("alice@example.com")
    page.get_by_role("button", name="Save name and email").click()
    expect(page.locator(".notice")).to_contain_text("saved")
    expect(page.locator('input[name="name"]')).to_have_value("Alice Liddell")

    page.get_by_label("Current password").fill(PASSWORD)
    page.locator('input[name="password"]').fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    save_for_docs(page, "account")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".notice")).to_contain_text("this browser stays signed in")
    assert page.evaluate("fetch('/v1/account').then((r) => r.status)") == 200
    with helpers.api_client(base_url, alice.token) as old_login:
        assert old_login.get("/v1/account").status_code == 401  # made before the change


def test_a_site_admin_creates_disables_and_enables_a_user(
    page: Page, base_url: str, admin: helpers.Account, api: httpx.Client
) -> None:
    helpers.login(page, base_url, admin.username, admin.password)
    page.get_by_role("link", name="Site admin").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    page.get_by_role("link", name="Create user").click()
    username = helpers.unique("carol")
    page.get_by_label("User name").fill(username)
    page.locator('input[name="name"]').fill("Carol <b>C</b>")
    page.get_by_label("Set this one:").check()
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Create user").click()
    expect(page.locator(".notice")).to_contain_text(f"User {username} created")
    row = page.locator(f'tr[data-user="{username}"]')
    expect(row).to_contain_text("Carol <b>C</b>")

    page.once("dialog", lambda confirm: confirm.accept())
    row.get_by_role("button", name="Disable").click()
    expect(row).to_contain_text("disabled")
    assert api.get(f"/v1/users/{username}").json()["disabled"] is True
    with httpx.Client(base_url=base_url) as anyone:
        refused = anyone.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert refused.status_code == 401
    row.get_by_role("button", name="Enable").click()
    expect(row).to_contain_text("active")
    save_for_docs(page, "admin-users")


def test_the_last_site_admin_cannot_lose_the_role_and_the_page_says_why(
    page: Page, base_url: str, admin: helpers.Account
) -> None:
    helpers.login(page, base_url, admin.username, admin.password)
    page.goto("/admin/users")
    page.once("dialog", lambda confirm: confirm.accept())
    mine = page.locator(f'tr[data-user="{admin.username}"]')
    mine.get_by_role("button", name="Remove admin").click()
    expect(page.get_by_role("alert")).to_contain_text("last site admin")
    expect(page.locator(f'tr[data-user="{admin.username}"]')).to_contain_text("admin")


def test_the_site_audit_log_filters_by_action(
    page: Page, base_url: str, admin: helpers.Account, api: httpx.Client
) -> None:
    helpers.create_user(api, helpers.unique("dave"), PASSWORD)
    helpers.login(page, base_url, admin.username, admin.password)
    page.goto("/admin/users")
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("table.audit tbody tr").first).to_be_visible()
    save_for_docs(page, "admin-audit")
    page.get_by_label("Action").fill("user.create")
    page.get_by_role("button", name="Filter").click()
    actions = page.locator("table.audit tbody td:nth-child(2)")
    expect(actions.first).to_have_text("user.create")
    assert set(actions.all_inner_texts()) == {"user.create"}


def test_the_integrations_tab_with_tokens_and_credentials(
    page: Page, base_url: str, api: httpx.Client
) -> None:
    erin = helpers.create_user(api, helpers.unique("erin"), PASSWORD)
    with helpers.api_client(base_url, erin.token) as as_erin:
        for name in ("chatbot integration", "nightly backup script"):
            assert as_erin.post("/v1/tokens", json={"name": name}).status_code == 201
    helpers.login(page, base_url, erin.username, PASSWORD)
    page.goto("/integrations")
    form = page.locator('form[action="/integrations/credentials"]')
    form.locator('input[name="name"]').fill("Registry token")
    form.get_by_label("Environment variable").fill("REGISTRY_TOKEN")
    form.locator("input[name=value]").fill("not-shown-again-1234")
    page.get_by_role("button", name="Add credential").click()
    expect(page.locator(".notice")).to_contain_text("REGISTRY_TOKEN")
    expect(page.locator("table.credentials")).to_contain_text("Registry token")
    assert "not-shown-again" not in page.content()
    save_for_docs(page, "integrations")
    page.get_by_role("link", name="Generate Token").click()
    page.get_by_placeholder("e.g. chatbot integration").fill("deploy bot")
    save_for_docs(page, "integrations-generate")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("dialog#token-created")).to_be_visible()
    save_for_docs(page, "integrations-token")
