"""The harness itself: Chromium on the server's Swagger UI, and the page log's checks."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import Account, login
from tests.browser.pages import CSP_MARK, PageLog

STRICT_CSP = "default-src 'self'; script-src 'self'"


def test_api_docs_load_in_chromium_without_console_errors(
    page: Page, page_log: PageLog, api: httpx.Client, admin: Account
) -> None:
    assert api.get("/v1/account").json()["username"] == admin.username
    response = page.goto("/v1/documentation")
    assert response is not None
    assert response.ok
    expect(page).to_have_title("Ish CD API")
    # The bundled Swagger UI script ran and drew its frame (it is served locally).
    expect(page.locator("#swagger-ui .swagger-ui").first).to_be_attached()
    assert page_log.console_errors == []
    assert page_log.problems() == []


def test_api_docs_list_the_operations(page: Page) -> None:
    page.goto("/v1/documentation")
    # Swagger UI draws either the operations or its "Unable to render" notice.
    page.locator(".opblock, .version-pragma").first.wait_for()
    assert page.locator(".opblock").count() > 10


def test_an_uncaught_page_error_is_recorded(page: Page, page_log: PageLog) -> None:
    page.goto("/v1/health")
    with page.expect_event("pageerror"):
        page.evaluate("setTimeout(() => { throw new Error('boom from the page') }, 0)")
    assert any("boom from the page" in error for error in page_log.page_errors)
    assert page_log.problems()
    page_log.page_errors.clear()  # seen and handled: the test passes


def _inline_script_under_csp(route: Route) -> None:
    html = "<title>csp</title><script>document.title = 'ran'</script>"
    route.fulfill(
        body=html, content_type="text/html", headers={"Content-Security-Policy": STRICT_CSP}
    )


def test_a_csp_violation_is_recorded(page: Page, page_log: PageLog, base_url: str) -> None:
    page.route(f"{base_url}/csp-check", _inline_script_under_csp)
    with page.expect_console_message(lambda message: CSP_MARK in message.text):
        page.goto("/csp-check")
    expect(page).to_have_title("csp")  # the inline script was blocked
    assert len(page_log.csp_violations) == 1
    assert "inline script" in page_log.csp_violations[0]
    page_log.csp_violations.clear()


@pytest.mark.allow_page_errors
def test_a_test_may_allow_page_errors(page: Page, page_log: PageLog) -> None:
    page.goto("/v1/health")
    with page.expect_event("pageerror"):
        page.evaluate("setTimeout(() => { throw new Error('expected here') }, 0)")
    assert page_log.problems()  # left in place: the marker keeps the test passing


def test_screenshots_go_under_tests_browser_screenshots() -> None:
    assert SCREENSHOTS.parts[-3:] == ("tests", "browser", "screenshots")


LOGIN_FORM = """<!doctype html><title>Log in</title>
<form method="post" action="/login">
  <input type="hidden" name="csrf_token" value="form-token">
  <input name="username"> <input type="password" name="password">
  <button type="submit">Log in</button>
</form>"""


def test_login_fills_the_login_forms_contract(page: Page, base_url: str) -> None:
    """``login`` against a stand-in for the login page (the real one replaces it)."""
    posted: list[str] = []

    def login_page(route: Route) -> None:
        if route.request.method == "GET":
            route.fulfill(body=LOGIN_FORM, content_type="text/html")
            return
        posted.append(route.request.post_data or "")
        route.fulfill(status=303, headers={"Location": "/v1/health"})

    page.route(f"{base_url}/login", login_page)
    login(page, base_url, "alice", "pa ss&word")
    assert posted == ["csrf_token=form-token&username=alice&password=pa+ss%26word"]
    assert page.url == f"{base_url}/v1/health"
