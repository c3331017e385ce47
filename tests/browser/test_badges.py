"""A project's status badge in real Chromium: the image and Markdown on the project's
page (copied with the button), public badges and a new key on its Settings tab."""

from __future__ import annotations

import httpx
from playwright.sync_api import Dialog, Page, expect

from tests.browser import helpers
from tests.browser.helpers import Account


def test_the_badge_shows_copies_and_its_settings_change_it(
    page: Page, base_url: str, admin: Account, api: httpx.Client
) -> None:
    machine_name = helpers.unique("badged")
    created = api.post("/v1/projects", json={"name": "Badged", "machine_name": machine_name})
    assert created.status_code == 201, created.text
    project = created.json()
    helpers.login(page, base_url, admin.username, admin.password)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    page.goto(f"/projects/{machine_name}")
    page.get_by_text("Status badge").click()
    image = page.get_by_role("img", name="Build status of main").first
    expect(image).to_be_visible()
    # The image loaded (through the login session): an SVG 20 px high, wider than that.
    assert image.evaluate("img => img.complete && img.naturalWidth > 20")
    snippet = page.get_by_label("The badge's Markdown")
    expect(snippet).to_have_value(project["badge"]["markdown"])
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == project["badge"]["markdown"]

    page.goto(f"/projects/{machine_name}/settings")
    page.get_by_label("Public badges").check()
    page.locator("#badges-form").get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Badges are public.")
    public = api.get(f"/v1/projects/{machine_name}").json()
    assert public["public_badges"] is True
    expect(page.get_by_label("The badge's Markdown")).to_have_value(public["badge"]["markdown"])
    assert httpx.get(f"{base_url}/v1/projects/{project['id']}/badge.svg").status_code == 200

    page.get_by_label("Public badges").uncheck()
    page.locator("#badges-form").get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Badges need the badge key.")
    before = api.get(f"/v1/projects/{machine_name}").json()["badge"]["url"]

    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Rotate badge key").click()
    expect(page.get_by_role("status")).to_contain_text("New badge key made")
    after = api.get(f"/v1/projects/{machine_name}").json()["badge"]
    assert after["url"] != before
    expect(page.get_by_label("The badge's Markdown")).to_have_value(after["markdown"])
    assert httpx.get(before).status_code == 404
    assert httpx.get(after["url"]).status_code == 200
