"""Signing in, the Integrations tab's tokens, the official JS client's token calls,
cross-site form posts, and accepting an invitation, in real Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.browser import helpers
from tests.live import free_port

PASSWORD = "correct horse battery"


@pytest.fixture
def alice(api: httpx.Client) -> helpers.Account:
    return helpers.create_user(api, helpers.unique("alice"), PASSWORD)


def _signed_in(page: Page, base_url: str, account: helpers.Account) -> None:
    helpers.login(page, base_url, account.username, account.password)


def _account(base_url: str, token: str) -> httpx.Response:
    with helpers.api_client(base_url, token) as client:
        return client.get("/v1/account")


def test_login_lands_on_the_projects_tab(page: Page, base_url: str, alice: helpers.Account) -> None:
    page.goto("/")
    expect(page).to_have_url(f"{base_url}/login")
    _signed_in(page, base_url, alice)
    expect(page).to_have_url(f"{base_url}/projects")
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    expect(page.locator("header .who")).to_have_text(alice.username)


def test_generate_token_copy_it_use_it_revoke_it(
    page: Page, base_url: str, alice: helpers.Account
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    _signed_in(page, base_url, alice)
    page.get_by_role("link", name="Integrations").click()
    expect(page).to_have_url(f"{base_url}/integrations")
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if "/v1/tokens" in r.url else None)

    page.get_by_role("link", name="Generate Token").click()
    asking = page.locator("dialog#token-new")
    expect(asking).to_be_visible()
    asking.get_by_placeholder("e.g. chatbot integration").fill("   ")
    asking.get_by_role("button", name="Generate").click()
    expect(asking.locator("#token-new-error")).to_contain_text("name")  # the API's 422
    asking.get_by_placeholder("e.g. chatbot integration").fill("chatbot integration")
    asking.get_by_role("button", name="Generate").click()

    shown = page.locator("dialog#token-created")
    expect(shown).to_be_visible()
    expect(shown).to_contain_text("will not be shown again")
    token = shown.locator("textarea").input_value()
    assert token.count(".") == 2  # a JWT
    shown.get_by_role("button", name="Copy").click()
    expect(shown.locator("#token-copied")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == token
    assert all("authorization" not in r.headers for r in sent)
    assert [r.method for r in sent[:2]] == ["POST", "POST"]
    assert all("x-csrf-token" in r.headers for r in sent[:2])

    shown.get_by_role("button", name="Done").click()
    expect(shown).to_be_hidden()
    row = page.locator("#token-list tbody tr", has_text="chatbot integration")
    expect(row).to_have_count(1)  # the list was read again, with no reload
    assert shown.locator("textarea").input_value() == ""  # gone from the page

    assert _account(base_url, token).json()["username"] == alice.username

    page.once("dialog", lambda confirm: confirm.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".notice")).to_contain_text("revoked")
    expect(page.locator("#token-list tbody tr", has_text="chatbot integration")).to_have_count(0)
    assert _account(base_url, token).status_code == 401


def test_generate_token_without_javascript(
    browser: Browser, base_url: str, alice: helpers.Account
) -> None:
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        _signed_in(page, base_url, alice)
        page.goto("/integrations")
        page.get_by_role("link", name="Generate Token").click()
        expect(page).to_have_url(f"{base_url}/integrations/tokens/new")
        page.get_by_placeholder("e.g. chatbot integration").fill("no script")
        page.get_by_role("button", name="Generate").click()
        expect(page.get_by_role("alert")).to_contain_text("will not be shown again")
        token = page.locator("textarea#token-value").input_value()
        assert _account(base_url, token).json()["username"] == alice.username
        page.goto("/integrations")
        assert token not in page.content()
    finally:
        context.close()


OFFICIAL_CLIENT_CALLS = """
async () => {
  const session = await fetch("/rest/session/token", { credentials: "same-origin" });
  const csrf = await session.text();
  const made = await fetch("/v1/tokens", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify({ name: "official client" }),
  });
  const created = await made.json();
  const listed = await fetch("/v1/tokens?_format=json", { credentials: "same-origin" });
  const tokens = await listed.json();
  const unguarded = await fetch(`/v1/tokens/${created.id}`, {
    method: "DELETE",
    credentials: "same-origin",
  });
  return {
    session: [session.status, session.headers.get("content-type")],
    made: made.status,
    created,
    listed: [listed.status, tokens.map((t) => t.name)],
    unguarded: unguarded.status,
  };
}
"""

REVOKE = """
async (id) => {
  const csrf = await (await fetch("/rest/session/token", { credentials: "same-origin" })).text();
  const gone = await fetch(`/v1/tokens/${id}`, {
    method: "DELETE",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrf },
  });
  return gone.status;
}
"""


def test_the_official_clients_token_calls_work_with_the_session_alone(
    page: Page, base_url: str, alice: helpers.Account
) -> None:
    _signed_in(page, base_url, alice)
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if "/v1/" in r.url else None)
    answers = page.evaluate(OFFICIAL_CLIENT_CALLS)
    assert answers["session"][0] == 200
    assert answers["session"][1].startswith("text/plain")
    assert answers["made"] == 201
    assert answers["listed"] == [200, ["official client"]]
    assert answers["unguarded"] == 403  # an unsafe request with the cookie alone
    token = answers["created"]["token"]
    assert _account(base_url, token).json()["username"] == alice.username
    assert page.evaluate(REVOKE, answers["created"]["id"]) == 204
    assert _account(base_url, token).status_code == 401
    assert all("authorization" not in r.headers for r in sent)


class _Attacker(BaseHTTPRequestHandler):
    """Another site's pages, each a form that posts itself to Ish CD on load."""

    pages: dict[str, str] = {}

    def do_GET(self) -> None:
        body = self.pages.get(self.path, "").encode()
        self.send_response(200 if body else 404)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _form_page(action: str, fields: dict[str, str]) -> str:
    inputs = "".join(f'<input name="{k}" value="{v}">' for k, v in fields.items())
    return (
        f'<!doctype html><form method="post" action="{action}">{inputs}</form>'
        "<script>document.forms[0].submit()</script>"
    )


@pytest.fixture
def attacker(base_url: str) -> Iterator[str]:
    """A second tiny site on another port, posting forms to this server."""
    _Attacker.pages = {
        "/account.html": _form_page(f"{base_url}/account", {"name": "Hacked", "email": ""}),
        "/tokens.html": _form_page(f"{base_url}/v1/tokens", {"name": "stolen"}),
    }
    server = HTTPServer(("127.0.0.1", free_port()), _Attacker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_cross_site_form_post_without_the_csrf_token_is_refused(
    page: Page, base_url: str, alice: helpers.Account, attacker: str
) -> None:
    # The other site is 127.0.0.1 on another port: the same "site" to the browser, so
    # the SameSite=Lax cookie goes along and only the missing CSRF token refuses.
    _signed_in(page, base_url, alice)
    before = _account(base_url, alice.token).json()
    for target in ("/account", "/v1/tokens"):
        name = "account" if target == "/account" else "tokens"
        url = base_url + target
        with page.expect_response(url) as answer:
            page.goto(f"{attacker}/{name}.html")
        assert answer.value.status == 403, target
        assert answer.value.request.method == "POST"
    assert _account(base_url, alice.token).json() == before
    page.goto("/integrations")
    expect(page.locator("#token-list tbody tr")).to_have_count(0)
    assert page.evaluate("fetch('/v1/tokens').then((r) => r.json())") == []


def test_accept_an_invitation_and_land_in_the_project_signed_in(
    page: Page, base_url: str, api: httpx.Client
) -> None:
    machine = helpers.unique("invited-to")
    project = api.post("/v1/projects", json={"name": "Invited to", "machine_name": machine})
    assert project.status_code == 201, project.text
    members = f"/v1/projects/{project.json()['id']}/members"
    email = f"{machine}@example.com"
    member = api.post(members, json={"email": email, "role": "write"})
    assert member.status_code == 201, member.text
    invited = api.post(f"{members}/{member.json()['id']}/invite")
    assert invited.status_code == 201, invited.text
    username = helpers.unique("newcomer")

    page.goto(f"/invitations/{invited.json()['token']}")
    expect(page.get_by_role("heading", name="Join Invited to")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(email)
    page.get_by_label("User name").fill(username)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password_again"]').fill(PASSWORD)
    page.get_by_role("button", name="Create account and join").click()

    expect(page).to_have_url(f"{base_url}/projects/{machine}")
    signed_in = page.evaluate("fetch('/v1/account').then((r) => r.json())")
    assert signed_in["username"] == username
    page.goto("/projects")
    expect(page.locator("header .who")).to_have_text(username)
    expect(page.get_by_role("link", name="Invited to")).to_be_visible()
    roles = api.get(members).json()
    assert {(m["user"] or {}).get("username"): m["role"] for m in roles}[username] == "write"
