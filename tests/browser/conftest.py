"""The browser tier: a real ``ishcd server``, driven by Debian's Chromium through Playwright.

Fixtures: ``live_server`` (a server on a free port with a data dir of its own,
one per test module), ``admin`` (its first admin: user name, password, API
token), ``api`` (an httpx client acting as that admin, to set data up quickly),
``browser`` (one headless Chromium for the tier, see ``_Chromium``), ``page`` (a fresh context
and page per test, whose console is watched: see ``pages``; its screenshot is
saved at the end as ``tests/browser/screenshots/<test name>.png``).

All browser tests run in one xdist group (on one worker, so one Chromium at a
time on a 2-core machine), and are skipped with the reason when Chromium is
missing (``chromium``).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.browser import chromium, helpers
from tests.browser.pages import PageLog
from tests.live import LiveServer, free_port

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
ALLOW_PAGE_ERRORS = "allow_page_errors"
_PAGE_LOG = pytest.StashKey[PageLog]()


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = chromium.missing_reason()
    grouped = config.pluginmanager.hasplugin("xdist")  # the mark is xdist's (not with -p no:xdist)
    for item in items:
        if HERE not in item.path.parents:
            continue
        item.add_marker(pytest.mark.browser)
        if grouped:
            item.add_marker(pytest.mark.xdist_group("browser"))
        if missing:
            item.add_marker(pytest.mark.skip(reason=missing))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """A test passes only if its page had no uncaught error and no CSP violation."""
    result = yield
    log = item.stash.get(_PAGE_LOG, None)
    if log is not None and log.problems() and item.get_closest_marker(ALLOW_PAGE_ERRORS) is None:
        raise AssertionError(
            "the page reported errors (mark the test allow_page_errors if they are expected):\n"
            + "\n".join(log.problems())
        )
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failure, show what the browser's console said."""
    report = yield
    log = item.stash.get(_PAGE_LOG, None)
    if log is not None and report.failed:
        report.sections.append((f"browser console ({report.when})", log.describe()))
    return report


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server on SQLite with a data dir of its own, shared by the tests of one module.

    Starting one costs seconds on a busy machine, so a module's tests share it; each
    test still gets a fresh browser context (no cookies), and names what it creates
    uniquely (``helpers.unique``). A test that needs a server to itself goes in a
    module of its own.
    """
    server = LiveServer(data_dir=tmp_path_factory.mktemp("browser") / "data", port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture(scope="module")
def admin(live_server: LiveServer) -> helpers.Account:
    """The site admin the server made on first start, with its API token."""
    assert live_server.username, "the server printed no first admin"
    assert live_server.token
    return helpers.Account(live_server.username, live_server.password, live_server.token)


@pytest.fixture
def api(live_server: LiveServer, admin: helpers.Account) -> Iterator[httpx.Client]:
    """The API as the admin, for setting data up without the browser."""
    with helpers.api_client(live_server.url, admin.token) as client:
        yield client


class _Chromium:
    """One headless Chromium for the whole browser tier, closed after its last test.

    Not a session fixture: while the sync API is open it keeps its event loop running
    in this thread, and the async tests that a worker runs after the browser tests could
    not start theirs. So it is closed as soon as the next test is not a browser test
    (``pytest_runtest_teardown``): the browser tests run together (one xdist group; in
    file order without xdist), so it is launched once, not once per module.
    """

    def __init__(self) -> None:
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None

    def get(self) -> Browser:
        if self.browser is None or not self.browser.is_connected():
            self.close()
            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(
                executable_path=chromium.path(), headless=True
            )
        return self.browser

    def close(self) -> None:
        try:
            if self.browser is not None:
                self.browser.close()
        finally:
            self.browser = None
            if self.playwright is not None:
                self.playwright.stop()
                self.playwright = None


_CHROMIUM = _Chromium()


@pytest.hookimpl(trylast=True)  # after the test's fixtures (its page and context) are gone
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Close Chromium once the browser tests are over (see ``_Chromium``)."""
    if nextitem is None or HERE not in nextitem.path.parents:
        _CHROMIUM.close()


@pytest.fixture
def browser() -> Browser:
    """The tier's headless Chromium (``_Chromium``); each test gets its own context."""
    reason = chromium.missing_reason()
    if reason:
        pytest.skip(reason)
    return _CHROMIUM.get()


@pytest.fixture
def page_log(request: pytest.FixtureRequest) -> PageLog:
    """The console messages, page errors and CSP violations of this test's ``page``."""
    log = PageLog()
    request.node.stash[_PAGE_LOG] = log
    return log


@pytest.fixture
def page(
    request: pytest.FixtureRequest, browser: Browser, base_url: str, page_log: PageLog
) -> Iterator[Page]:
    """A fresh page in a fresh context (no cookies), its relative URLs on the server."""
    context = browser.new_context(base_url=base_url)
    try:
        opened = context.new_page()
        page_log.watch(opened)
        yield opened
        screenshot(opened, request.node.name)
    finally:
        context.close()


def screenshot(page: Page, test_name: str) -> Path:
    """Save a full-page screenshot of ``page`` as ``screenshots/<test name>.png``."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^\w.\-\[\]]+", "_", test_name) + ".png")
    page.screenshot(path=path, full_page=True)
    return path
