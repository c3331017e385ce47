"""The web UI's project Settings tab (fields, env vars, tokens, delete) and Audit log tab."""

from __future__ import annotations

import re

import httpx

from tests.api.conftest import Api, bearer
from tests.api.web_session import browser, csrf_in, make_user, sign_in

XSS = "<script>alert(1)</script>"
SETTINGS = "/projects/shop/settings"


async def _admin_of_shop(api: Api, web: httpx.AsyncClient) -> None:
    """alice, signed in on ``web``, creates and administers Shop."""
    await make_user(api, "alice")
    token = await sign_in(web, "alice")
    body = {"name": "Shop", "default_branch": "main"}
    created = await web.post("/v1/projects", json=body, headers={"X-CSRF-Token": token})
    assert created.status_code == 201, created.text


async def _post(
    web: httpx.AsyncClient, action: str, page: str = SETTINGS, **fields: str
) -> httpx.Response:
    form = await web.get(page)
    assert form.status_code == 200, form.text
    return await web.post(action, data={"csrf_token": csrf_in(form.text), **fields})


def _project_form(**changes: str) -> dict[str, str]:
    fields = {
        "name": "Shop",
        "machine_name": "shop",
        "description": "",
        "repository": "",
        "default_branch": "main",
        "log_retention_days": "",
    }
    return {**fields, **changes}


async def test_settings_form_changes_the_project_as_patch_does(api: Api) -> None:
    async with browser(api) as web:
        await _admin_of_shop(api, web)
        page = await web.get(SETTINGS)
        assert page.status_code == 200
        assert 'value="Shop"' in page.text
        fields = _project_form(
            name="Web Shop",
            description="Sells things",
            repository="https://git.example.com/shop.git",
            default_branch="trunk",
            log_retention_days="30",
        )
        response = await _post(web, SETTINGS, **fields)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == SETTINGS
        shown = (await web.get("/v1/projects/shop")).json()
        assert shown["name"] == "Web Shop"
        assert shown["description"] == "Sells things"
        assert shown["repository"] == "https://git.example.com/shop.git"
        assert shown["default_branch"] == "trunk"
        assert shown["log_retention_days"] == 30
        assert "Settings saved." in (await web.get(SETTINGS)).text
        # Blank clears what may be null.
        fields = _project_form(name="Web Shop", default_branch="trunk")
        response = await _post(web, SETTINGS, **fields)
        shown = (await web.get("/v1/projects/shop")).json()
        assert shown["description"] is None
        assert shown["repository"] is None
        assert shown["log_retention_days"] is None
        # Only changed fields are sent: the audit event names them.
        events = (await api.get("/v1/projects/shop/audit?action=project.update")).json()
        assert events[0]["details"]["fields"] == [
            "description",
            "log_retention_days",
            "repository",
        ]


async def test_a_new_machine_name_moves_the_pages(api: Api) -> None:
    async with browser(api) as web:
        await _admin_of_shop(api, web)
        response = await _post(web, SETTINGS, **_project_form(machine_name="shop-2"))
        assert response.headers["location"] == "/projects/shop-2/settings"
        assert (await web.get("/projects/shop-2/settings")).status_code == 200
        assert (await web.get("/projects/shop")).status_code == 404


async def test_invalid_settings_are_422_naming_the_field_and_kept(api: Api) -> None:
    await api.project("Taken")
    async with browser(api) as web:
        await _admin_of_shop(api, web)
        response = await _post(web, SETTINGS, **_project_form(name="", description="kept"))
        assert response.status_code == 422
        assert "<strong>name</strong>" in response.text
        assert "kept</textarea>" in response.text
        response = await _post(web, SETTINGS, **_project_form(log_retention_days="zero"))
        assert response.status_code == 422
        assert "<strong>log_retention_days</strong>" in response.text
        response = await _post(web, SETTINGS, **_project_form(machine_name="Bad Name"))
        assert response.status_code == 422
        assert "<strong>machine_name</strong>" in response.text
        response = await _post(web, SETTINGS, **_project_form(default_branch="a..b"))
        assert response.status_code == 422
        assert "<strong>default_branch</strong>" in response.text
        response = await _post(web, SETTINGS, **_project_form(machine_name="taken"))
        assert response.status_code == 409
        assert "is taken" in response.text
    assert (await api.get("/v1/projects/shop")).json()["name"] == "Shop"


async def test_env_vars_are_added_replaced_listed_masked_and_deleted(api: Api) -> None:
    secret = "hunter2-very-secret-9876"
    async with browser(api) as web:
        await _admin_of_shop(api, web)
        action = f"{SETTINGS}/envvars"
        response = await _post(web, action, name="DB_PASSWORD", value=secret)
        assert response.status_code == 303
        assert response.headers["location"] == f"{SETTINGS}#envvars"
        page = await web.get(SETTINGS)
        assert "DB_PASSWORD" in page.text
        assert secret not in page.text
        masked = (await web.get("/v1/projects/shop/envvars/DB_PASSWORD")).json()["value"]
        assert masked in page.text  # as the API masks it
        response = await _post(web, action, name="DB_PASSWORD", value="another-value-1234")
        assert response.status_code == 303
        assert (
            (await web.get("/v1/projects/shop/envvars/DB_PASSWORD"))
            .json()["value"]
            .endswith("1234")
        )
        bad = await _post(web, action, name="1BAD", value=secret)
        assert bad.status_code == 422
        assert "<strong>name</strong>" in bad.text
        assert 'value="1BAD"' in bad.text
        assert secret not in bad.text  # values are never shown back
        reserved = await _post(web, action, name="ISHCD_X", value="v")
        assert reserved.status_code == 422
        response = await _post(web, f"{action}/DB_PASSWORD/delete")
        assert response.status_code == 303
        assert (await web.get("/v1/projects/shop/envvars")).json() == []
        missing = await _post(web, f"{action}/DB_PASSWORD/delete")
        assert missing.status_code == 404


async def test_a_token_generated_by_the_form_is_shown_once_and_works(api: Api) -> None:
    async with browser(api) as web:
        await _admin_of_shop(api, web)
        action = f"{SETTINGS}/tokens"
        response = await _post(web, action, name="chatbot", role="write", expires="")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        token = re.search(r'id="new-token-value" readonly value="([^"]+)"', response.text)
        assert token, response.text
        page = await web.get(SETTINGS)
        assert token.group(1) not in page.text
        assert "chatbot" in page.text
        runs = await api.http.get("/v1/projects/shop/runs", headers=bearer(token.group(1)))
        assert runs.status_code == 200
        listed = (await web.get("/v1/projects/shop/tokens")).json()
        assert [(t["name"], t["role"], t["expires"]) for t in listed] == [
            ("chatbot", "write", None)
        ]
        response = await _post(web, f"{action}/{listed[0]['id']}/revoke")
        assert response.status_code == 303
        assert "Token revoked." in (await web.get(SETTINGS)).text
        runs = await api.http.get("/v1/projects/shop/runs", headers=bearer(token.group(1)))
        assert runs.status_code == 401


async def test_token_form_refusals(api: Api) -> None:
    async with browser(api) as web:
        await _admin_of_shop(api, web)
        action = f"{SETTINGS}/tokens"
        response = await _post(web, action, name="", role="write", expires="")
        assert response.status_code == 422
        assert "<strong>name</strong>" in response.text
        response = await _post(web, action, name="bot", role="owner", expires="")
        assert response.status_code == 422
        assert "<strong>role</strong>" in response.text
        response = await _post(web, action, name="bot", role="read", expires="0")
        assert response.status_code == 422
        assert "<strong>expires</strong>" in response.text
        assert 'value="bot"' in response.text
        response = await _post(web, action, name="bot", role="read", expires="7")
        assert response.status_code == 200
        assert (await web.get("/v1/projects/shop/tokens")).json()[0]["expires"] is not None


async def test_the_api_generates_tokens_with_the_session_as_the_page_script_does(
    api: Api,
) -> None:
    async with browser(api) as web:
        await _admin_of_shop(api, web)
        page = await web.get(SETTINGS)
        project_id = (await web.get("/v1/projects/shop")).json()["id"]
        assert f'data-api="/v1/projects/{project_id}/tokens"' in page.text
        body = {"name": "bot", "role": "read"}
        refused = await web.post(f"/v1/projects/{project_id}/tokens", json=body)
        assert refused.status_code == 403  # no X-CSRF-Token
        token = (await web.get("/rest/session/token")).text
        created = await web.post(
            f"/v1/projects/{project_id}/tokens", json=body, headers={"X-CSRF-Token": token}
        )
        assert created.status_code == 201
        assert created.json()["token"]


async def test_delete_needs_the_machine_name_typed(api: Api) -> None:
    async with browser(api) as web:
        await _admin_of_shop(api, web)
        action = f"{SETTINGS}/delete"
        wrong = await _post(web, action, confirm="Shop")
        assert wrong.status_code == 422
        assert "<strong>confirm</strong>" in wrong.text
        assert (await web.get("/v1/projects/shop")).status_code == 200
        response = await _post(web, action, confirm="shop")
        assert response.status_code == 303
        assert response.headers["location"] == "/projects"
        assert "Project Shop deleted." in (await web.get("/projects")).text
        assert (await web.get("/v1/projects/shop")).status_code == 404


async def test_delete_refuses_a_project_with_active_runs(api: Api) -> None:
    async with browser(api) as web:
        await _admin_of_shop(api, web)
        token = (await web.get("/rest/session/token")).text
        job = {"name": "Slow", "script": "sleep 30"}
        headers = {"X-CSRF-Token": token}
        assert (await web.post("/v1/projects/shop/jobs", json=job, headers=headers)).is_success
        run = await web.post("/v1/projects/shop/jobs/slow/runs", headers=headers)
        assert run.status_code == 201
        response = await _post(web, f"{SETTINGS}/delete", confirm="shop")
        assert response.status_code == 409
        assert "cancel them first" in response.text
        await web.post(f"/v1/runs/{run.json()['id']}/cancel", headers=headers)
        await api.wait(run.json()["id"])


async def test_settings_and_audit_are_for_admins_only(api: Api) -> None:
    await api.project("Shop")
    await api.post("/v1/projects/shop/envvars", json={"name": "KEY", "value": "v"})
    for name, role in (("rita", "read"), ("will", "write")):
        await make_user(api, name)
        body = {"username": name, "role": role}
        assert (await api.post("/v1/projects/shop/members", json=body)).status_code == 201
        async with browser(api) as web:
            await sign_in(web, name)
            assert (await web.get(SETTINGS)).status_code == 403
            assert (await web.get("/projects/shop/audit")).status_code == 403
            token = csrf_in((await web.get("/projects/shop")).text)
            for action, fields in (
                (SETTINGS, _project_form(name="Pwned")),
                (f"{SETTINGS}/envvars", {"name": "KEY", "value": "pwned"}),
                (f"{SETTINGS}/envvars/KEY/delete", {}),
                (f"{SETTINGS}/tokens", {"name": "t", "role": "read"}),
                (f"{SETTINGS}/delete", {"confirm": "shop"}),
            ):
                response = await web.post(action, data={"csrf_token": token, **fields})
                assert response.status_code == 403, action
    assert (await api.get("/v1/projects/shop")).json()["name"] == "Shop"
    assert len((await api.get("/v1/projects/shop/envvars")).json()) == 1
    assert (await api.get("/v1/projects/shop/tokens")).json() == []


async def test_settings_forms_without_the_csrf_token_are_refused(api: Api) -> None:
    async with browser(api) as web:
        await _admin_of_shop(api, web)
        for action, fields in (
            (SETTINGS, _project_form(name="Pwned")),
            (f"{SETTINGS}/envvars", {"name": "KEY", "value": "x"}),
            (f"{SETTINGS}/tokens", {"name": "t", "role": "read"}),
            (f"{SETTINGS}/delete", {"confirm": "shop"}),
        ):
            response = await web.post(action, data=fields)
            assert response.status_code == 403, action
        assert (await web.get("/v1/projects/shop")).json()["name"] == "Shop"


async def test_names_holding_html_show_as_text_on_settings_and_audit(api: Api) -> None:
    async with browser(api) as web:
        await _admin_of_shop(api, web)
        await _post(web, SETTINGS, **_project_form(name=XSS, description=XSS))
        await _post(web, f"{SETTINGS}/tokens", name=XSS, role="read", expires="")
        for path in (SETTINGS, "/projects/shop/audit"):
            page = await web.get(path)
            assert page.status_code == 200
            assert XSS not in page.text
            assert "&lt;script&gt;" in page.text


async def test_audit_tab_lists_filters_and_pages(api: Api) -> None:
    async with browser(api) as web:
        await _admin_of_shop(api, web)
        for i in range(55):
            await _post(web, f"{SETTINGS}/envvars", name=f"V{i}", value="x")
        page = await web.get("/projects/shop/audit")
        assert page.status_code == 200
        assert page.text.count("<code>envvar.create</code>") == 50
        assert 'rel="next" href="/projects/shop/audit?page=2"' in page.text
        second = await web.get("/projects/shop/audit?page=2")
        assert second.text.count("<code>envvar.create</code>") == 5
        assert "<code>project.create</code>" in second.text
        assert "alice" in second.text
        only = await web.get("/projects/shop/audit", params={"action": "project.create"})
        assert only.text.count("<code>project.create</code>") == 1
        assert "envvar.create" not in only.text.replace('placeholder="e.g.', "")
        too_long = await web.get("/projects/shop/audit", params={"action": "x" * 65})
        assert too_long.status_code == 422
        assert "<strong>action</strong>" in too_long.text
