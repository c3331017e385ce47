"""The web UI's Members tab: list, add, change role, remove, invite, through real HTTP."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.api.conftest import Api
from tests.api.web_session import PASSWORD, browser, csrf_in, make_user, sign_in

XSS = "<script>alert(1)</script>"


async def _admin_of_shop(api: Api, web: httpx.AsyncClient) -> str:
    """alice, signed in on ``web``, creates and administers Shop; its members page URL."""
    await make_user(api, "alice")
    token = await sign_in(web, "alice")
    created = await web.post("/v1/projects", json={"name": "Shop"}, headers={"X-CSRF-Token": token})
    assert created.status_code == 201, created.text
    return "/projects/shop/members"


async def _post(web: httpx.AsyncClient, page: str, action: str, **fields: str) -> httpx.Response:
    form = await web.get(page)
    return await web.post(action, data={"csrf_token": csrf_in(form.text), **fields})


def _member_ids(html: str) -> dict[str, str]:
    """Member name → id, from the remove forms."""
    found = {}
    for row in re.findall(r"<tr>.*?</tr>", html, re.S):
        match = re.search(r"/members/([0-9a-f-]{36})/remove", row)
        name = re.sub(r"<[^>]+>", " ", row).split()[0]
        if match:
            found[name] = match.group(1)
    return found


async def test_admin_adds_a_user_changes_the_role_and_removes_them(api: Api) -> None:
    async with browser(api) as web:
        members = await _admin_of_shop(api, web)
        await make_user(api, "bob")
        response = await _post(web, members, members, who="bob", role="read")
        assert response.status_code == 303
        page = await web.get(members)
        assert "bob is now a member (read)." in page.text
        bob = _member_ids(page.text)["bob"]
        response = await _post(web, members, f"{members}/{bob}/role", role="write")
        assert response.status_code == 303
        listed = (await web.get("/v1/projects/shop/members")).json()
        assert {m["user"]["username"]: m["role"] for m in listed} == {
            "alice": "admin",
            "bob": "write",
        }
        response = await _post(web, members, f"{members}/{bob}/remove")
        assert response.status_code == 303
        page = await web.get(members)
        assert "Member removed." in page.text
        assert "bob" not in _member_ids(page.text)


async def test_invite_by_email_shows_the_acceptance_link_once_and_it_works(api: Api) -> None:
    async with browser(api) as web:
        members = await _admin_of_shop(api, web)
        response = await _post(web, members, members, who="carol@example.com", role="write")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        link = re.search(r'value="(http://ishcd\.test/invitations/[^"]+)"', response.text)
        assert link, response.text
        again = await web.get(members)
        assert link.group(1) not in again.text  # shown once
        assert "carol@example.com" in again.text
        assert "invited" in again.text
    async with browser(api) as guest:
        page = await guest.get(link.group(1))
        assert page.status_code == 200
        assert "Join Shop" in page.text
        sent = {
            "csrf_token": csrf_in(page.text),
            "username": "carol",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "email": "carol@example.com",
        }
        accepted = await guest.post(link.group(1).removeprefix("http://ishcd.test"), data=sent)
        assert accepted.status_code == 303, accepted.text
    listed = (await api.get("/v1/projects/shop/members")).json()
    assert {(m["user"] or {}).get("username"): m["role"] for m in listed}["carol"] == "write"


@pytest.mark.parametrize("settings_overrides", [{"public_url": "https://ci.example.com"}])
async def test_the_invitation_link_is_under_the_public_url(api: Api) -> None:
    async with browser(api, "https://ishcd.test") as web:
        members = await _admin_of_shop(api, web)
        response = await _post(web, members, members, who="dan@example.com", role="read")
        assert 'value="https://ci.example.com/invitations/' in response.text


async def test_a_new_invitation_link_replaces_the_old_one(api: Api) -> None:
    async with browser(api) as web:
        members = await _admin_of_shop(api, web)
        first = await _post(web, members, members, who="erin@example.com", role="read")
        old = re.search(r'value="http://ishcd\.test(/invitations/[^"]+)"', first.text)
        assert old
        erin = _member_ids((await web.get(members)).text)["erin@example.com"]
        second = await _post(web, members, f"{members}/{erin}/invite")
        new = re.search(r'value="http://ishcd\.test(/invitations/[^"]+)"', second.text)
        assert new
        assert new.group(1) != old.group(1)
        assert (await web.get(old.group(1))).status_code == 404
        assert (await web.get(new.group(1))).status_code == 200


async def test_refusals_are_shown_on_the_page(api: Api) -> None:
    async with browser(api) as web:
        members = await _admin_of_shop(api, web)
        alice = _member_ids((await web.get(members)).text)["alice"]
        last = await _post(web, members, f"{members}/{alice}/role", role="read")
        assert last.status_code == 409
        assert "last admin" in last.text
        last = await _post(web, members, f"{members}/{alice}/remove")
        assert last.status_code == 409
        nobody = await _post(web, members, members, who="nobody", role="read")
        assert nobody.status_code == 422
        assert "<strong>username</strong>" in nobody.text
        assert 'value="nobody"' in nobody.text
        twice = await _post(web, members, members, who="alice", role="read")
        assert twice.status_code == 409
        bad_role = await _post(web, members, members, who="alice", role="owner")
        assert bad_role.status_code == 422
        assert "<strong>role</strong>" in bad_role.text
        bad_email = await _post(web, members, members, who="x@", role="read")
        assert bad_email.status_code == 422
        assert "<strong>email</strong>" in bad_email.text
        empty = await _post(web, members, members, who="", role="read")
        assert empty.status_code == 422
        assert "<strong>who</strong>" in empty.text
        missing = await _post(web, members, f"{members}/not-a-member/remove")
        assert missing.status_code == 404


async def test_forms_without_the_csrf_token_are_refused(api: Api) -> None:
    async with browser(api) as web:
        members = await _admin_of_shop(api, web)
        await make_user(api, "bob")
        response = await web.post(members, data={"who": "bob", "role": "read"})
        assert response.status_code == 403
    listed = (await api.get("/v1/projects/shop/members")).json()
    assert len(listed) == 1


async def test_read_only_member_sees_no_admin_forms_and_is_refused(api: Api) -> None:
    await api.project("Shop")
    await make_user(api, "rita")
    await make_user(api, "bob")
    body = {"username": "rita", "role": "read"}
    assert (await api.post("/v1/projects/shop/members", json=body)).status_code == 201
    listed = (await api.get("/v1/projects/shop/members")).json()
    rita = next(m["id"] for m in listed if m["user"]["username"] == "rita")
    async with browser(api) as web:
        await sign_in(web, "rita")
        page = await web.get("/projects/shop/members")
        assert page.status_code == 200
        assert "rita" in page.text
        assert "Add a member" not in page.text
        assert "/remove" not in page.text
        token = csrf_in(page.text)  # the sign-out form's
        for action, fields in (
            ("/projects/shop/members", {"who": "bob", "role": "admin"}),
            (f"/projects/shop/members/{rita}/role", {"role": "admin"}),
            (f"/projects/shop/members/{rita}/remove", {}),
        ):
            response = await web.post(action, data={"csrf_token": token, **fields})
            assert response.status_code == 403, action
    listed = (await api.get("/v1/projects/shop/members")).json()
    assert {m["user"]["username"]: m["role"] for m in listed} == {"admin": "admin", "rita": "read"}


async def test_an_invited_email_holding_html_shows_as_text(api: Api) -> None:
    async with browser(api) as web:
        members = await _admin_of_shop(api, web)
        response = await _post(web, members, members, who=f"{XSS}@example.com", role="read")
        assert XSS not in response.text


async def test_an_email_an_account_has_adds_that_account_without_a_link(api: Api) -> None:
    body = {"username": "frank", "password": PASSWORD, "email": "frank@example.com"}
    assert (await api.post("/v1/users", json=body)).status_code == 201
    async with browser(api) as web:
        members = await _admin_of_shop(api, web)
        response = await _post(web, members, members, who="frank@example.com", role="write")
        assert response.status_code == 303
        page = await web.get(members)
        assert "/invitations/" not in page.text
        assert "frank" in _member_ids(page.text)
