"""Site admin pages: users (create, disable, enable, make admin) and the site audit log."""

from __future__ import annotations

import re

from tests.api.conftest import Api
from tests.api.web_session import PASSWORD, browser, csrf_in, make_user, sign_in


async def _user(api: Api, username: str) -> dict[str, object]:
    found = await api.get(f"/v1/users/{username}")
    assert found.status_code == 200, found.text
    return dict(found.json())


async def test_others_than_site_admins_get_403_and_no_link(api: Api) -> None:
    await make_user(api, "alice")
    bob = await make_user(api, "bob")
    async with browser(api) as web:
        await sign_in(web, "alice")
        projects = await web.get("/projects")
        assert "/admin/users" not in projects.text
        csrf = csrf_in(projects.text)
        for path in ("/admin/users", "/admin/users/new", "/admin/audit"):
            assert (await web.get(path)).status_code == 403, path
        made = await web.post("/admin/users", data={"username": "mallory", "csrf_token": csrf})
        assert made.status_code == 403
        raised = await web.post(f"/admin/users/{bob['id']}/disable", data={"csrf_token": csrf})
        assert raised.status_code == 403
    assert (await api.get("/v1/users/mallory")).status_code == 404
    assert (await _user(api, "bob"))["disabled"] is False


async def test_the_users_page_lists_users_and_pages(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    for n in range(55):
        await make_user(api, f"user{n:02d}")
    async with browser(api) as web:
        await sign_in(web, "alice")
        first = await web.get("/admin/users")
        assert first.status_code == 200
        assert "alice" in first.text
        assert "(you)" in first.text
        assert 'rel="next"' in first.text
        assert 'aria-current="page">Site admin' in first.text
        second = await web.get("/admin/users?page=2")
        assert second.status_code == 200
        names = set(re.findall(r'data-user="([^"]+)"', first.text + second.text))
        assert len(names) == 57  # the first admin, alice and 55 more
        assert (await web.get("/admin/users?page=-1")).status_code == 422


async def test_create_a_user_with_a_password(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    async with browser(api) as web:
        await sign_in(web, "alice")
        form = await web.get("/admin/users/new")
        assert form.status_code == 200
        sent = {
            "username": "carol",
            "name": "Carol <i>C</i>",
            "email": "carol@example.com",
            "password_choice": "set",
            "password": PASSWORD,
            "csrf_token": csrf_in(form.text),
        }
        made = await web.post("/admin/users", data=sent)
        assert made.status_code == 303, made.text
        carol = await _user(api, "carol")
        assert (carol["name"], carol["email"], carol["is_admin"]) == (
            "Carol <i>C</i>",
            "carol@example.com",
            False,
        )
        listed = await web.get("/admin/users")
        assert "Carol &lt;i&gt;C&lt;/i&gt;" in listed.text
        assert "User carol created" in listed.text
    async with browser(api) as carols:
        await sign_in(carols, "carol")


async def test_create_a_site_admin_with_a_generated_password_shown_once(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    async with browser(api) as web:
        await sign_in(web, "alice")
        form = await web.get("/admin/users/new")
        sent = {
            "username": "dave",
            "password_choice": "generate",
            "is_admin": "on",
            "csrf_token": csrf_in(form.text),
        }
        made = await web.post("/admin/users", data=sent)
        assert made.status_code == 201, made.text
        assert made.headers["cache-control"] == "no-store"
        assert "shown this once" in made.text
        found = re.search(r'id="token-value"[^>]*>([^<]+)</textarea>', made.text)
        assert found
        password = found.group(1).strip()
        assert (await _user(api, "dave"))["is_admin"] is True
    async with browser(api) as daves:
        await sign_in(daves, "dave", password)
        assert (await daves.get("/admin/users")).status_code == 200


async def test_create_user_names_bad_fields_and_refuses_a_taken_name(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    async with browser(api) as web:
        await sign_in(web, "alice")
        csrf = csrf_in((await web.get("/admin/users/new")).text)
        cases = [
            ({"username": "no spaces allowed"}, "username", 422),
            ({"username": "erin", "email": "nope"}, "email", 422),
            ({"username": "erin", "password_choice": "set", "password": "short"}, "password", 422),
            ({"username": "alice"}, "username", 409),
        ]
        for fields, named, status in cases:
            answer = await web.post("/admin/users", data={**fields, "csrf_token": csrf})
            assert answer.status_code == status, (fields, answer.text)
            assert f"<strong>{named}</strong>" in answer.text
            assert "short" not in answer.text.split("Please fix")[0][-200:]
        forged = await web.post("/admin/users", data={"username": "erin"})
        assert forged.status_code == 403
    assert (await api.get("/v1/users/erin")).status_code == 404


async def test_disable_enable_and_admin_flags_from_the_users_page(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    bob = await make_user(api, "bob")
    async with browser(api) as web, browser(api) as bobs:
        await sign_in(web, "alice")
        await sign_in(bobs, "bob")
        csrf = csrf_in((await web.get("/admin/users")).text)
        base = f"/admin/users/{bob['id']}"
        assert (await web.post(f"{base}/disable", data={"csrf_token": csrf})).status_code == 303
        assert (await _user(api, "bob"))["disabled"] is True
        assert (await bobs.get("/v1/account")).status_code == 401
        page = await web.get("/admin/users")
        assert "bob disabled" in page.text
        assert f"{base}/enable" in page.text
        assert (await web.post(f"{base}/enable", data={"csrf_token": csrf})).status_code == 303
        assert (await _user(api, "bob"))["disabled"] is False
        assert (await web.post(f"{base}/make-admin", data={"csrf_token": csrf})).status_code == 303
        assert (await _user(api, "bob"))["is_admin"] is True
        unmade = await web.post(f"{base}/unmake-admin", data={"csrf_token": csrf})
        assert unmade.status_code == 303
        assert (await _user(api, "bob"))["is_admin"] is False
        unknown = await web.post(f"{base}/delete-everything", data={"csrf_token": csrf})
        assert unknown.status_code == 404
        forged = await web.post(f"{base}/disable", data={"csrf_token": "forged"})
        assert forged.status_code == 403
        assert (await _user(api, "bob"))["disabled"] is False


async def test_the_last_site_admin_is_kept_and_the_refusal_shown(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    first = (await api.get("/v1/account")).json()
    alice = await _user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        csrf = csrf_in((await web.get("/admin/users")).text)
        done = await web.post(f"/admin/users/{first['id']}/unmake-admin", data={"csrf_token": csrf})
        assert done.status_code == 303
        refused = await web.post(
            f"/admin/users/{alice['id']}/unmake-admin", data={"csrf_token": csrf}
        )
        assert refused.status_code == 409
        assert "last site admin" in refused.text
        assert 'role="alert"' in refused.text
        assert "data-user=" in refused.text  # the list, with the refusal above it
        disabled = await web.post(f"/admin/users/{alice['id']}/disable", data={"csrf_token": csrf})
        assert disabled.status_code == 409
        account = (await web.get("/v1/account")).json()
        assert account["is_admin"] is True


async def test_the_site_audit_log_filters_and_pages(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    shop = await api.project("<b>Shop</b>", machine_name="shop")
    await api.project("Other")
    async with browser(api) as web:
        await sign_in(web, "alice")
        everything = await web.get("/admin/audit")
        assert everything.status_code == 200
        assert "project.create" in everything.text
        assert "login" in everything.text
        logins = await web.get("/admin/audit", params={"action": "login"})
        assert logins.status_code == 200
        assert "project.create" not in logins.text.split("<tbody>")[1]
        of_shop = await web.get("/admin/audit", params={"project": shop["id"]})
        rows = of_shop.text.split("<tbody>")[1]
        assert "shop" in rows
        assert "other" not in rows
        assert "<b>Shop</b>" not in of_shop.text
        for n in range(50):
            await api.project(f"Project {n}")
        paged = await web.get("/admin/audit")
        assert 'rel="next"' in paged.text
        filtered = await web.get("/admin/audit", params={"action": "project.create"})
        assert 'href="/admin/audit?action=project.create&amp;page=2"' in filtered.text
        too_long = await web.get("/admin/audit", params={"action": "a" * 65})
        assert too_long.status_code == 422
        assert "<strong>action</strong>" in too_long.text
        empty = await web.get("/admin/audit", params={"action": "nothing.like.this"})
        assert "No events match" in empty.text
