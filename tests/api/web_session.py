"""A browser-like client for the API tier: its own cookie jar, signing in by the login form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.api.conftest import Api

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_in(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


@asynccontextmanager
async def browser(
    api: Api, base_url: str = "http://ishcd.test"
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the same app with a cookie jar of its own (a second browser)."""
    transport = api.http._transport  # the same in-process app
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    """Sign in with the login form; the session's CSRF token."""
    form = await client.get("/login")
    assert form.status_code == 200, form.text
    response = await client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_in(form.text)},
    )
    assert response.status_code == 303, response.text
    token = await client.get("/rest/session/token")
    assert token.status_code == 200, token.text
    return token.text


async def make_user(api: Api, username: str, *, admin: bool = False) -> dict[str, object]:
    body = {"username": username, "password": PASSWORD, "is_admin": admin}
    response = await api.post("/v1/users", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())
