"""The Integrations tab (API tokens, credentials) and the Account tab, through their pages."""

from __future__ import annotations

import httpx

from tests.api.conftest import Api, bearer
from tests.api.web_session import PASSWORD, browser, csrf_in, make_user, sign_in

NEW_PASSWORD = "a brand new password"


async def _csrf(web: httpx.AsyncClient, path: str = "/integrations") -> str:
    page = await web.get(path)
    assert page.status_code == 200, page.text
    return csrf_in(page.text)


async def _api_token(web: httpx.AsyncClient, csrf: str, name: str) -> dict[str, str]:
    made = await web.post("/v1/tokens", json={"name": name}, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    return dict(made.json())


async def test_the_integrations_tab_lists_tokens_and_credentials_never_values(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        csrf = await sign_in(web, "alice")
        made = await _api_token(web, csrf, "chatbot integration")
        body = {"name": "Deploy key", "env": "DEPLOY_KEY", "value": "s3cret-value-123"}
        added = await web.post("/v1/credentials", json=body, headers={"X-CSRF-Token": csrf})
        assert added.status_code == 201, added.text
        page = await web.get("/integrations")
        assert page.status_code == 200
        assert "chatbot integration" in page.text
        assert f"/integrations/tokens/{made['id']}/revoke" in page.text
        assert made["token"] not in page.text
        assert "Deploy key" in page.text
        assert "DEPLOY_KEY" in page.text
        assert "s3cret" not in page.text
        assert "e-123" not in page.text
        assert 'placeholder="e.g. chatbot integration"' in page.text
        assert 'data-dialog="token-new"' in page.text
        assert "/static/js/tokens.js" in page.text
        assert 'aria-current="page">Integrations' in page.text


async def test_generate_token_without_script_shows_it_once_and_it_works(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        form = await web.get("/integrations/tokens/new")
        assert form.status_code == 200
        assert 'placeholder="e.g. chatbot integration"' in form.text
        sent = {"name": "nightly backup", "expires": "30", "csrf_token": csrf_in(form.text)}
        shown = await web.post("/integrations/tokens", data=sent)
        assert shown.status_code == 201, shown.text
        assert shown.headers["cache-control"] == "no-store"
        assert "only time it will be shown" in shown.text
        listed = (await web.get("/v1/tokens")).json()
        assert [t["name"] for t in listed] == ["nightly backup"]
        assert listed[0]["expires"] is not None
        secret = _token_in(shown.text)
        account = await api.http.get("/v1/account", headers=bearer(secret))
        assert account.json()["username"] == "alice"
        assert secret not in (await web.get("/integrations")).text


def _token_in(html: str) -> str:
    start = html.index('id="token-value"')
    start = html.index(">", start) + 1
    return html[start : html.index("</textarea>", start)].strip()


async def test_generate_token_checks_its_fields_as_the_api_does(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        csrf = await _csrf(web, "/integrations/tokens/new")
        blank = await web.post("/integrations/tokens", data={"name": " ", "csrf_token": csrf})
        assert blank.status_code == 422
        assert "<strong>name</strong>" in blank.text
        sent = {"name": "kept name", "expires": "0", "csrf_token": csrf}
        never = await web.post("/integrations/tokens", data=sent)
        assert never.status_code == 422
        assert "<strong>expires</strong>" in never.text
        assert 'value="kept name"' in never.text
        assert (await web.get("/v1/tokens")).json() == []


async def test_revoke_from_the_page_and_the_api_refuses_the_token(api: Api) -> None:
    await make_user(api, "alice")
    await make_user(api, "bob")
    async with browser(api) as web, browser(api) as other:
        csrf = await sign_in(web, "alice")
        made = await _api_token(web, csrf, "to revoke")
        bobs = await _api_token(other, await sign_in(other, "bob"), "bob's")
        page_csrf = await _csrf(web)
        forged = await web.post(f"/integrations/tokens/{made['id']}/revoke", data={"x": "1"})
        assert forged.status_code == 403
        assert (await api.http.get("/v1/account", headers=bearer(made["token"]))).status_code == 200
        done = await web.post(
            f"/integrations/tokens/{made['id']}/revoke", data={"csrf_token": page_csrf}
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/integrations"
        assert "revoked" in (await web.get("/integrations")).text
        refused = await api.http.get("/v1/account", headers=bearer(made["token"]))
        assert refused.status_code == 401
        not_mine = await web.post(
            f"/integrations/tokens/{bobs['id']}/revoke", data={"csrf_token": page_csrf}
        )
        assert not_mine.status_code == 404
        assert (await api.http.get("/v1/account", headers=bearer(bobs["token"]))).status_code == 200


async def test_add_and_delete_a_credential(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        csrf = await _csrf(web)
        sent = {"name": "Registry", "env": "REGISTRY_TOKEN", "value": "abcdefgh12345"}
        added = await web.post("/integrations/credentials", data={**sent, "csrf_token": csrf})
        assert added.status_code == 303
        listed = (await web.get("/v1/credentials")).json()
        assert [(c["name"], c["env"]) for c in listed] == [("Registry", "REGISTRY_TOKEN")]
        page = await web.get("/integrations")
        assert "REGISTRY_TOKEN" in page.text
        assert "abcdefgh" not in page.text
        again = await web.post("/integrations/credentials", data={**sent, "csrf_token": csrf})
        assert again.status_code == 409
        assert "REGISTRY_TOKEN" in again.text
        assert "abcdefgh12345" not in again.text
        gone = await web.post(
            f"/integrations/credentials/{listed[0]['id']}/delete", data={"csrf_token": csrf}
        )
        assert gone.status_code == 303
        assert (await web.get("/v1/credentials")).json() == []
        missing = await web.post(
            f"/integrations/credentials/{listed[0]['id']}/delete", data={"csrf_token": csrf}
        )
        assert missing.status_code == 404


async def test_a_credential_form_names_its_bad_fields_and_never_keeps_the_value(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        csrf = await _csrf(web)
        sent = {
            "name": "Bad",
            "env": "1-not-a-name",
            "value": "hidden-value-99",
            "csrf_token": csrf,
        }
        bad = await web.post("/integrations/credentials", data=sent)
        assert bad.status_code == 422
        assert "<strong>env</strong>" in bad.text
        assert 'value="Bad"' in bad.text
        assert "hidden-value-99" not in bad.text
        empty = await web.post(
            "/integrations/credentials",
            data={"name": "", "env": "X", "value": "v", "csrf_token": csrf},
        )
        assert empty.status_code == 422
        assert "<strong>name</strong>" in empty.text
        forged = await web.post(
            "/integrations/credentials", data={"name": "Good", "env": "GOOD", "value": "v"}
        )
        assert forged.status_code == 403
        assert (await web.get("/v1/credentials")).json() == []


async def test_token_and_credential_names_holding_html_show_as_text(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        csrf = await sign_in(web, "alice")
        await _api_token(web, csrf, "<script>alert(1)</script>")
        body = {"name": "<img src=x onerror=alert(2)>", "env": "XSS", "value": "v"}
        await web.post("/v1/credentials", json=body, headers={"X-CSRF-Token": csrf})
        page = await web.get("/integrations")
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "<img src=x" not in page.text


async def test_the_account_tab_changes_name_and_email(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        csrf = await _csrf(web, "/account")
        sent = {"name": "Alice <b>Liddell</b>", "email": "alice@example.com"}
        saved = await web.post("/account", data={**sent, "csrf_token": csrf})
        assert saved.status_code == 303
        account = (await web.get("/v1/account")).json()
        assert (account["name"], account["email"]) == (sent["name"], sent["email"])
        page = await web.get("/account")
        assert "Alice &lt;b&gt;Liddell&lt;/b&gt;" in page.text
        assert "saved" in page.text
        bad = await web.post(
            "/account", data={"name": "Kept", "email": "not an email", "csrf_token": csrf}
        )
        assert bad.status_code == 422
        assert "<strong>email</strong>" in bad.text
        assert 'value="Kept"' in bad.text
        forged = await web.post("/account", data={"name": "Mallory", "email": ""})
        assert forged.status_code == 403
        cleared = await web.post("/account", data={"name": "", "email": "", "csrf_token": csrf})
        assert cleared.status_code == 303
        account = (await web.get("/v1/account")).json()
        assert (account["name"], account["email"]) == (None, None)


async def test_a_password_change_keeps_this_browser_and_ends_the_others(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web, browser(api) as elsewhere:
        await sign_in(web, "alice")
        await sign_in(elsewhere, "alice")
        csrf = await _csrf(web, "/account")
        sent = {
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
            "csrf_token": csrf,
        }
        old_cookie = web.cookies["ishcd_session"]
        changed = await web.post("/account/password", data=sent)
        assert changed.status_code == 303, changed.text
        assert web.cookies["ishcd_session"] != old_cookie
        page = await web.get("/account")
        assert page.status_code == 200
        assert "this browser stays signed in" in page.text
        assert (await web.get("/v1/account")).status_code == 200
        assert (await elsewhere.get("/v1/account")).status_code == 401
    async with browser(api) as thief:
        thief.cookies.set("ishcd_session", old_cookie)
        assert (await thief.get("/v1/account")).status_code == 401
    async with browser(api) as fresh:
        await sign_in(fresh, "alice", NEW_PASSWORD)


async def test_a_password_change_checks_as_the_api_does(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        csrf = await _csrf(web, "/account")
        base = {"current_password": PASSWORD, "csrf_token": csrf}
        cases = [
            ({"password": NEW_PASSWORD, "password_again": "something else"}, "password_again"),
            ({"password": "short", "password_again": "short"}, "password"),
            (
                {
                    "password": NEW_PASSWORD,
                    "password_again": NEW_PASSWORD,
                    "current_password": "no",
                },
                "current_password",
            ),
            (
                {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "current_password": ""},
                "current_password",
            ),
        ]
        for fields, named in cases:
            answer = await web.post("/account/password", data={**base, **fields})
            assert answer.status_code == 422, (fields, answer.text)
            assert f"<strong>{named}</strong>" in answer.text
            assert NEW_PASSWORD not in answer.text
        forged = await web.post(
            "/account/password",
            data={
                "current_password": PASSWORD,
                "password": NEW_PASSWORD,
                "password_again": NEW_PASSWORD,
            },
        )
        assert forged.status_code == 403
    async with browser(api) as fresh:
        await sign_in(fresh, "alice")  # the old password still works


async def test_wrong_current_passwords_are_throttled_like_logins(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        csrf = await _csrf(web, "/account")
        sent = {
            "current_password": "wrong guess",
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
            "csrf_token": csrf,
        }
        statuses = [(await web.post("/account/password", data=sent)).status_code for _ in range(7)]
        assert statuses[:6] == [422] * 6
        assert statuses[6] == 429
        locked = await web.post("/account/password", data={**sent, "current_password": PASSWORD})
        assert locked.status_code == 429
        assert "try again in" in locked.text
        assert int(locked.headers["retry-after"]) >= 1


async def test_the_integrations_tab_pages_its_tokens(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        csrf = await sign_in(web, "alice")
        for n in range(51):
            await _api_token(web, csrf, f"token {n:02d}")
        first = await web.get("/integrations")
        assert "token 50" in first.text
        assert "token 00" not in first.text
        assert 'href="/integrations?page=2"' in first.text
        second = await web.get("/integrations?page=2")
        assert "token 00" in second.text
        assert 'data-page="2"' in second.text
        bad = await web.get("/integrations?credentials_page=0")
        assert bad.status_code == 422
        assert "credentials_page" in bad.text


async def test_signed_out_visitors_are_sent_to_the_login_page(api: Api) -> None:
    async with browser(api) as web:
        for path in ("/integrations", "/account", "/admin/users", "/integrations/tokens/new"):
            answer = await web.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/login?next=")
        posted = await web.post("/integrations/tokens", data={"name": "x"})
        assert posted.status_code == 303
        assert posted.headers["location"] == "/login"
