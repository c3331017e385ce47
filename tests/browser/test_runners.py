"""The site admin's Runners page in real Chromium: a registration token made and shown
once, a runner registered with it through the API, listed, paused and deleted."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser import helpers
from tests.browser.helpers import save_for_docs


def test_a_site_admin_makes_a_registration_token_and_manages_the_runner_it_registers(
    page: Page, base_url: str, admin: helpers.Account, api: httpx.Client
) -> None:
    helpers.login(page, base_url, admin.username, admin.password)
    page.get_by_role("link", name="Site admin").click()
    page.get_by_role("navigation", name="Site admin").get_by_role("link", name="Runners").click()
    expect(page.get_by_role("heading", name="Runners", exact=True)).to_be_visible()
    description = helpers.unique("linux fleet")
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Create registration token").click()
    heading = f"Your new registration token: {description}"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    shown = page.locator("#new-token-value")
    token = shown.input_value()
    assert token.startswith("ishrt_")
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    tokens = page.locator(f'tr[data-registration-token="{description}"]')
    expect(tokens).to_contain_text("never")  # not used yet

    name = helpers.unique("builder")
    body = {
        "token": token,
        "name": name,
        "labels": ["linux", "x86_64"],
        "version": "0.1.0",
        "host": "build-7.internal",
        "concurrency": 2,
    }
    with httpx.Client(base_url=base_url) as agent:
        registered = agent.post("/v1/runner/register", json=body)
    assert registered.status_code == 201, registered.text
    runner_id = registered.json()["id"]
    page.goto("/admin/runners")
    expect(page.locator("#new-token-value")).to_have_count(0)  # shown once only
    row = page.locator(f'tr[data-runner="{name}"]')
    expect(row).to_contain_text("online")
    expect(row).to_contain_text("linux")
    expect(row).to_contain_text("x86_64")
    save_for_docs(page, "admin-runners")

    row.get_by_role("button", name="Pause").click()
    expect(page.locator(".notice")).to_contain_text(f"Runner {name} paused")
    expect(row.locator(".runner-state")).to_have_text("‖ paused")
    assert api.get(f"/v1/runners/{runner_id}").json()["state"] == "paused"
    row.get_by_role("button", name="Resume").click()
    expect(row.locator(".runner-state")).to_have_text("● online")

    page.once("dialog", lambda confirm: confirm.accept())
    row.get_by_role("button", name="Delete").click()
    expect(page.locator(".notice")).to_contain_text(f"Runner {name} deleted")
    expect(row).to_have_count(0)
    assert api.get(f"/v1/runners/{runner_id}").status_code == 404

    page.once("dialog", lambda confirm: confirm.accept())
    tokens.get_by_role("button", name="Revoke").click()
    expect(page.locator(".notice")).to_contain_text("Registration token revoked")
    expect(tokens).to_have_count(0)
    with httpx.Client(base_url=base_url) as agent:
        assert agent.post("/v1/runner/register", json=body).status_code == 401
