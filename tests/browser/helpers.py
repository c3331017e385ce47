"""Helpers for browser tests: the accounts they act as, logging in, setting data up.

``login`` is written against the login page's contract: ``GET /login`` shows a
form with fields named ``username`` and ``password`` (and a hidden
``csrf_token``) and a submit button; a good login redirects away from it.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Page

LOGIN_PATH = "/login"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    token: str  # a Bearer credential for the API: an API token or a login JWT


def login(page: Page, base_url: str, username: str, password: str, *, check: bool = True) -> None:
    """Log in through the login form; with ``check``, fail unless the page leaves /login."""
    page.goto(base_url.rstrip("/") + LOGIN_PATH)
    form = page.locator("form", has=page.locator('input[name="password"]'))
    form.locator('input[name="username"]').fill(username)
    form.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        form.locator(
            'button[type="submit"], input[type="submit"], button:not([type])'
        ).first.click()
    if check and re.search(rf"{re.escape(LOGIN_PATH)}/?(\?|$)", page.url):
        text = page.locator("body").inner_text()[:500]
        raise AssertionError(f"login as {username!r} stayed on {page.url}:\n{text}")


def unique(prefix: str) -> str:
    """A machine name no other test of this process uses: tests of a module share a server."""
    return f"{prefix}-{next(_numbers)}"


def api_client(base_url: str, token: str) -> httpx.Client:
    """An API client acting with ``token`` (close it, or use it in a ``with``)."""
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def create_user(api: httpx.Client, username: str, password: str, *, admin: bool = False) -> Account:
    """A new user (``api`` acts as a site admin), logged in through the API for its JWT."""
    body = {"username": username, "password": password, "is_admin": admin}
    created = api.post("/v1/users", json=body)
    assert created.status_code == 201, created.text
    answer = api.post("/v1/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return Account(username, password, answer.json()["token"])


DOCS_UI = Path(__file__).resolve().parents[2] / "docs" / "ui"


def save_for_docs(page: Page, name: str) -> None:
    """With ISHCD_DOCS_SCREENSHOTS=1, save the page as docs/ui/<name>.png (1280 px wide),
    the picture docs/ui.md shows; other runs leave docs/ untouched."""
    if os.environ.get("ISHCD_DOCS_SCREENSHOTS") != "1":
        return
    DOCS_UI.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=DOCS_UI / f"{name.removesuffix('.png')}.png", full_page=True)
