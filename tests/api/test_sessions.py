"""Web sessions: the login form, the cookie, CSRF on unsafe requests, and every way a
session ends (logout, password change, disabling, deleting, idle and absolute expiry)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from ishcd.db.query import Query
from ishcd.db.tables import web_sessions
from tests.api.conftest import Api, bearer
from tests.api.web_session import PASSWORD, browser, csrf_in, make_user, sign_in


async def test_login_form_sets_a_server_side_session_cookie(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        form = await web.get("/login")
        sent = {"username": "alice", "password": PASSWORD, "csrf_token": csrf_in(form.text)}
        response = await web.post("/login", data=sent)
        assert response.status_code == 303
        assert response.headers["location"] == "/projects"
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("ishcd_session=")
        )
        flags = {part.strip().lower() for part in cookie.split(";")}
        assert "httponly" in flags
        assert "samesite=lax" in flags
        assert "path=/" in flags
        assert "secure" not in flags  # plain http here
        account = await web.get("/v1/account")
        assert account.status_code == 200
        assert account.json()["username"] == "alice"
        page = await web.get("/projects")
        assert page.status_code == 200
        assert "alice" in page.text
    async with api.server.database.read() as conn:
        rows = await conn.fetch_all(_all_sessions())
    assert len(rows) == 1
    assert rows[0][0] not in cookie  # only a hash of the secret is kept


def _all_sessions() -> Any:
    return Query(sa.select(web_sessions.c.secret_hash, web_sessions.c.user_id))


@pytest.mark.parametrize("settings_overrides", [{"public_url": "https://ci.example.com"}])
async def test_the_cookie_is_secure_when_the_public_url_is_https(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api, "https://ishcd.test") as web:
        form = await web.get("/login")
        sent = {"username": "alice", "password": PASSWORD, "csrf_token": csrf_in(form.text)}
        response = await web.post("/login", data=sent)
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("ishcd_session=")
        )
        assert "secure" in {part.strip().lower() for part in cookie.split(";")}


async def test_wrong_password_shows_the_form_again_with_401(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        form = await web.get("/login")
        sent = {"username": "alice", "password": "wrong-one!", "csrf_token": csrf_in(form.text)}
        response = await web.post("/login", data=sent)
        assert response.status_code == 401
        assert "wrong user name or password" in response.text
        assert "ishcd_session" not in response.headers.get("set-cookie", "")
        assert (await web.get("/v1/account")).status_code == 401


async def test_login_form_without_its_csrf_token_is_refused(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await web.get("/login")
        sent = {"username": "alice", "password": PASSWORD, "csrf_token": "forged"}
        response = await web.post("/login", data=sent)
        assert response.status_code == 403
        assert (await web.get("/v1/account")).status_code == 401


async def test_login_goes_back_to_the_page_asked_for_but_never_off_site(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        page = await web.get("/projects?page=1")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2Fprojects%3Fpage%3D1"
        for target, lands in (("/integrations", "/integrations"), ("//evil.example", "/projects")):
            web.cookies.delete("ishcd_session")
            form = await web.get("/login", params={"next": target})
            sent = {
                "username": "alice",
                "password": PASSWORD,
                "csrf_token": csrf_in(form.text),
                "next": target,
            }
            response = await web.post("/login", data=sent)
            assert response.headers["location"] == lands


async def test_unsafe_api_requests_with_a_session_need_the_csrf_token(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        token = await sign_in(web, "alice")
        body = {"name": "Web made"}
        refused = await web.post("/v1/projects", json=body)
        assert refused.status_code == 403
        assert "X-CSRF-Token" in refused.json()["message"]
        wrong = await web.post("/v1/projects", json=body, headers={"X-CSRF-Token": "nope"})
        assert wrong.status_code == 403
        made = await web.post("/v1/projects", json=body, headers={"X-CSRF-Token": token})
        assert made.status_code == 201, made.text
        listed = await web.get("/v1/projects")
        assert [p["name"] for p in listed.json()] == ["Web made"]
        gone = await web.delete("/v1/projects/web-made")
        assert gone.status_code == 403
        assert (await web.get("/v1/projects/web-made")).status_code == 200


async def test_the_official_clients_token_calls_work_with_the_session_alone(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        token = await web.get("/rest/session/token")
        assert token.headers["content-type"].startswith("text/plain")
        csrf = {"X-CSRF-Token": token.text}
        made = await web.post("/v1/tokens", json={"name": "chatbot integration"}, headers=csrf)
        assert made.status_code == 201, made.text
        secret, token_id = made.json()["token"], made.json()["id"]
        listed = await web.get("/v1/tokens", params={"_format": "json"})
        assert [t["name"] for t in listed.json()] == ["chatbot integration"]
        works = await api.http.get("/v1/account", headers=bearer(secret))
        assert works.json()["username"] == "alice"
        revoked = await web.delete(f"/v1/tokens/{token_id}", headers=csrf)
        assert revoked.status_code == 204
        refused = await api.http.get("/v1/account", headers=bearer(secret))
        assert refused.status_code == 401


async def test_session_token_needs_a_session(api: Api) -> None:
    response = await api.http.get("/rest/session/token")
    assert response.status_code == 401


async def test_requests_with_authorization_ignore_the_cookie_and_need_no_csrf(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        # The admin's token decides, not alice's cookie; no CSRF token is needed.
        made = await web.post("/v1/projects", json={"name": "By token"}, headers=api.auth)
        assert made.status_code == 201
        assert made.json()["name"] == "By token"
        bad = await web.get("/v1/account", headers=bearer("not-a-token"))
        assert bad.status_code == 401


async def _signed_in(api: Api, web: httpx.AsyncClient) -> None:
    await sign_in(web, "alice")
    assert (await web.get("/v1/account")).status_code == 200


async def test_logout_ends_the_session_at_once(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await _signed_in(api, web)
        secret = web.cookies["ishcd_session"]
        page = await web.get("/projects")
        response = await web.post("/logout", data={"csrf_token": csrf_in(page.text)})
        assert response.status_code == 303
        assert (await web.get("/v1/account")).status_code == 401
    # The old cookie, kept by someone, no longer works either.
    async with browser(api) as thief:
        thief.cookies.set("ishcd_session", secret)
        assert (await thief.get("/v1/account")).status_code == 401


async def test_logout_without_the_csrf_token_keeps_the_session(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await _signed_in(api, web)
        response = await web.post("/logout", data={"csrf_token": "forged"})
        assert response.status_code == 403
        assert (await web.get("/v1/account")).status_code == 200


async def test_a_password_change_ends_every_session(api: Api) -> None:
    user = await make_user(api, "alice")
    async with browser(api) as web:
        await _signed_in(api, web)
        change = {"password": "another fine password"}
        done = await api.patch(f"/v1/users/{user['id']}", json=change)
        assert done.status_code == 200, done.text
        assert (await web.get("/v1/account")).status_code == 401


async def test_disabling_or_deleting_the_user_ends_the_session(api: Api) -> None:
    user = await make_user(api, "alice")
    await make_user(api, "bob")
    async with browser(api) as web, browser(api) as web2:
        await _signed_in(api, web)
        await sign_in(web2, "bob")
        assert (
            await api.patch(f"/v1/users/{user['id']}", json={"disabled": True})
        ).status_code == 200
        assert (await web.get("/v1/account")).status_code == 401
        assert (await web2.get("/v1/account")).status_code == 200
        response = await api.delete("/v1/users/bob")
        assert response.status_code == 204, response.text
        assert (await web2.get("/v1/account")).status_code == 401


@pytest.mark.parametrize(
    "settings_overrides", [{"session_idle_seconds": 600, "session_max_seconds": 3600}]
)
async def test_sessions_expire_when_idle_and_at_their_absolute_age(api: Api) -> None:
    await make_user(api, "alice")
    age = Query(
        sa.update(web_sessions).values(last_seen=sa.bindparam("seen"), created=sa.bindparam("made"))
    )
    async with browser(api) as web:
        await _signed_in(api, web)
        now = time.time()
        async with api.server.database.transaction() as conn:
            await conn.execute(age, seen=now - 599, made=now - 1000)
        assert (await web.get("/v1/account")).status_code == 200  # and touched
        async with api.server.database.transaction() as conn:
            await conn.execute(age, seen=now - 601, made=now - 1000)
        assert (await web.get("/v1/account")).status_code == 401
    async with browser(api) as web:
        await _signed_in(api, web)
        async with api.server.database.transaction() as conn:
            await conn.execute(age, seen=time.time(), made=time.time() - 3601)
        assert (await web.get("/v1/account")).status_code == 401


async def test_pages_and_the_api_carry_the_security_headers(api: Api) -> None:
    for path in ("/login", "/v1/health", "/static/css/app.css", "/v1/documentation"):
        response = await api.http.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp, path
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


async def test_root_shows_login_when_signed_out_and_projects_when_signed_in(api: Api) -> None:
    await make_user(api, "alice")
    response = await api.http.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    async with browser(api) as web:
        await sign_in(web, "alice")
        response = await web.get("/")
        assert response.headers["location"] == "/projects"


async def test_a_form_that_is_not_urlencoded_is_refused(api: Api) -> None:
    response = await api.http.post(
        "/login", content=b"{}", headers={"content-type": "application/json"}
    )
    assert response.status_code == 415


async def test_failed_logins_by_form_are_throttled_like_the_api(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        statuses = []
        for _ in range(7):
            form = await web.get("/login")
            sent = {"username": "alice", "password": "wrong-one!", "csrf_token": csrf_in(form.text)}
            statuses.append((await web.post("/login", data=sent)).status_code)
        assert statuses[:5] == [401] * 5
        assert 429 in statuses[5:]


async def test_the_sweep_deletes_the_rows_of_ended_sessions_only(api: Api) -> None:
    await make_user(api, "alice")
    await make_user(api, "bob")
    async with browser(api) as old, browser(api) as fresh:
        await sign_in(old, "alice")
        async with api.server.database.transaction() as conn:
            aged = Query(sa.update(web_sessions).values(last_seen=sa.bindparam("seen")))
            await conn.execute(aged, seen=time.time() - 13 * 3600)
        await sign_in(fresh, "bob")
        sweeper = api.server.sweeper
        assert sweeper is not None
        await sweeper.sweep_once()
        async with api.server.database.read() as conn:
            rows = await conn.fetch_all(_all_sessions())
        assert len(rows) == 1
        assert (await fresh.get("/v1/account")).json()["username"] == "bob"


async def test_every_unsafe_authenticated_operation_documents_its_403(api: Api) -> None:
    """A login session's unsafe request without its CSRF token gets 403 anywhere
    (but on the runner protocol, where only a runner's credential counts: 401)."""
    spec = (await api.http.get("/v1/swagger.json")).json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "put", "patch", "delete")
        and operation.get("security") not in ([], [{"runner": []}])
        and "403" not in operation["responses"]
    ]
    assert missing == []
