"""The invitation page: choose a user name and a password, land in the project signed in."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.web_session import PASSWORD, browser, csrf_in, make_user, sign_in


async def _invite(api: Api, name: str = "Web shop", role: str = "write") -> dict[str, Any]:
    project = await api.project(name, machine_name="shop")
    members = f"/v1/projects/{project['id']}/members"
    member = await api.post(members, json={"email": "new@example.com", "role": role})
    assert member.status_code == 201, member.text
    invited = await api.post(f"{members}/{member.json()['id']}/invite")
    assert invited.status_code == 201, invited.text
    return {"members": members, "token": invited.json()["token"]}


def _fields(html: str, **values: str) -> dict[str, str]:
    """The invitation form's fields (its own CSRF field, not the sign-out form's)."""
    sent = {"username": "newcomer", "password": PASSWORD, "password_again": PASSWORD}
    form = html[html.index('<form method="post" action="/invitations/') :]
    return {**sent, "csrf_token": csrf_in(form), **values}


async def test_accepting_signs_in_and_lands_in_the_project(api: Api) -> None:
    invitation = await _invite(api, name="<script>alert(1)</script>")
    async with browser(api) as web:
        page = await web.get(f"/invitations/{invitation['token']}")
        assert page.status_code == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "<script>alert(1)</script>" not in page.text
        assert 'value="new@example.com"' in page.text
        done = await web.post(f"/invitations/{invitation['token']}", data=_fields(page.text))
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/projects/shop"
        account = (await web.get("/v1/account")).json()
        assert (account["username"], account["email"]) == ("newcomer", "new@example.com")
    members = (await api.get(invitation["members"])).json()
    joined = [m for m in members if m["user"] and m["user"]["username"] == "newcomer"]
    assert [(m["role"], m["status"]) for m in joined] == [("write", "active")]
    async with browser(api) as again:
        gone = await again.get(f"/invitations/{invitation['token']}")
        assert gone.status_code == 404  # used once


async def test_the_invitation_form_names_its_problems(api: Api) -> None:
    await make_user(api, "taken")
    invitation = await _invite(api)
    path = f"/invitations/{invitation['token']}"
    async with browser(api) as web:
        page = await web.get(path)
        mismatch = await web.post(path, data=_fields(page.text, password_again="other words"))
        assert mismatch.status_code == 422
        assert "<strong>password_again</strong>" in mismatch.text
        assert 'value="newcomer"' in mismatch.text
        assert PASSWORD not in mismatch.text
        short = await web.post(
            path, data=_fields(mismatch.text, password="short", password_again="short")
        )
        assert short.status_code == 422
        assert "<strong>password</strong>" in short.text
        taken = await web.post(path, data=_fields(short.text, username="taken"))
        assert taken.status_code == 409
        assert "<strong>username</strong>" in taken.text
        forged = await web.post(path, data={**_fields(taken.text), "csrf_token": "forged"})
        assert forged.status_code == 403
        assert (await web.get("/v1/account")).status_code == 401
        assert (await web.get("/invitations/not-a-real-token")).status_code == 404


async def test_a_signed_in_browser_switches_to_the_new_account(api: Api) -> None:
    await make_user(api, "alice")
    invitation = await _invite(api)
    async with browser(api) as web:
        await sign_in(web, "alice")
        old_cookie = web.cookies["ishcd_session"]
        page = await web.get(f"/invitations/{invitation['token']}")
        done = await web.post(f"/invitations/{invitation['token']}", data=_fields(page.text))
        assert done.status_code == 303, done.text
        assert (await web.get("/v1/account")).json()["username"] == "newcomer"
    async with browser(api) as thief:
        thief.cookies.set("ishcd_session", old_cookie)
        assert (await thief.get("/v1/account")).status_code == 401  # alice's session ended
