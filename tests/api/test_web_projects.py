"""The web UI's New project page and a project's Jobs and Runs tabs, through real HTTP."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.api.conftest import Api
from tests.api.web_session import browser, csrf_in, make_user, sign_in

XSS = "<script>alert(1)</script>"


async def _grant(api: Api, project: str, username: str, role: str) -> None:
    body = {"username": username, "role": role}
    response = await api.post(f"/v1/projects/{project}/members", json=body)
    assert response.status_code == 201, response.text


async def _new_project(web: httpx.AsyncClient, **fields: str) -> httpx.Response:
    form = await web.get("/projects/new")
    assert form.status_code == 200
    return await web.post("/projects/new", data={"csrf_token": csrf_in(form.text), **fields})


async def test_new_project_lands_on_the_project_and_the_creator_is_its_admin(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        fields = {
            "name": "Web Shop",
            "machine_name": "",
            "description": "The shop",
            "repository": "",
            "default_branch": "main",
        }
        response = await _new_project(web, **fields)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/projects/web-shop"
        page = await web.get("/projects/web-shop")
        assert page.status_code == 200
        assert "Project Web Shop created." in page.text
        assert "The shop" in page.text
        assert "Your role: <strong>admin</strong>" in page.text
        assert 'href="/projects/web-shop/jobs/new"' in page.text
        shown = await web.get("/v1/projects/web-shop")
        assert shown.json()["description"] == "The shop"
        assert shown.json()["repository"] is None


async def test_new_project_with_a_given_machine_name(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        response = await _new_project(web, name="Shop", machine_name="shop-prod")
        assert response.headers["location"] == "/projects/shop-prod"


async def test_new_project_invalid_input_is_422_naming_the_field_and_keeps_values(
    api: Api,
) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        response = await _new_project(web, name="Shop", machine_name="Bad Name!")
        assert response.status_code == 422
        assert "<strong>machine_name</strong>" in response.text
        assert 'value="Shop"' in response.text
        response = await _new_project(web, name="", description="kept")
        assert response.status_code == 422
        assert "<strong>name</strong>" in response.text
        assert "kept</textarea>" in response.text
        response = await _new_project(web, name="x" * 201)
        assert response.status_code == 422


async def test_new_project_with_a_taken_machine_name_is_409_on_the_form(api: Api) -> None:
    await api.project("Shop")
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        response = await _new_project(web, name="Other", machine_name="shop")
        assert response.status_code == 409
        assert "is taken" in response.text
        assert 'value="Other"' in response.text


async def test_new_project_without_the_csrf_token_is_refused(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        response = await web.post("/projects/new", data={"name": "Shop"})
        assert response.status_code == 403
        response = await web.post("/projects/new", data={"name": "Shop", "csrf_token": "forged"})
        assert response.status_code == 403
    assert (await api.get("/v1/projects/shop")).status_code == 404


async def test_signed_out_visitors_go_to_the_login_page(api: Api) -> None:
    project = await api.project("Shop")
    async with browser(api) as web:
        response = await web.get(f"/projects/{project['machine_name']}/runs")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Fprojects%2Fshop%2Fruns"


async def test_a_script_project_name_shows_as_text(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        response = await _new_project(web, name=XSS, machine_name="xss", description=XSS)
        assert response.status_code == 303
        for path in ("/projects/xss", "/projects/xss/runs", "/projects"):
            page = await web.get(path)
            assert XSS not in page.text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_jobs_tab_shows_each_jobs_latest_run_and_run_buttons(api: Api) -> None:
    project = await api.project("Shop")
    mn = project["machine_name"]
    good = await api.job(mn, "echo ok", name="Deploy")
    bad = await api.job(mn, "exit 3", name="Backup")
    await api.job(mn, "true", name="Idle")
    await _done(api, await api.start(mn, good["machine_name"]))
    await _done(api, await api.start(mn, bad["machine_name"]))
    second = await _done(api, await api.start(mn, good["machine_name"]))
    await make_user(api, "alice")
    await _grant(api, mn, "alice", "write")
    async with browser(api) as web:
        await sign_in(web, "alice")
        page = await web.get(f"/projects/{mn}")
        assert page.status_code == 200
        rows = {_cell_text(r): r for r in re.findall(r"<tr>.*?</tr>", page.text, re.S)}
        deploy = next(r for k, r in rows.items() if k.startswith("Deploy"))
        assert f"/projects/{mn}/runs/{second['id']}" in deploy
        assert "complete" in deploy
        assert f'href="/projects/{mn}/jobs/deploy/run"' in deploy
        backup = next(r for k, r in rows.items() if k.startswith("Backup"))
        assert "error" in backup
        assert "failed" in backup
        idle = next(r for k, r in rows.items() if k.startswith("Idle"))
        assert "Never run" in idle
        assert f'href="/projects/{mn}/jobs/idle"' in idle
        # New job is for admins; alice may write only.
        assert "/jobs/new" not in page.text


async def _done(api: Api, run: dict[str, Any]) -> dict[str, Any]:
    return await api.wait(run["id"])


def _cell_text(row: str) -> str:
    return re.sub(r"<[^>]+>", " ", row).split(None, 1)[0] if row.strip() else ""


async def test_read_only_member_sees_no_run_buttons_and_no_admin_tabs(api: Api) -> None:
    project = await api.project("Shop")
    mn = project["machine_name"]
    await api.job(mn, "echo ok", name="Deploy")
    await make_user(api, "rita")
    await _grant(api, mn, "rita", "read")
    async with browser(api) as web:
        await sign_in(web, "rita")
        page = await web.get(f"/projects/{mn}")
        assert page.status_code == 200
        assert "Deploy" in page.text
        assert "/jobs/deploy/run" not in page.text
        assert f'href="/projects/{mn}/settings"' not in page.text
        assert f'href="/projects/{mn}/audit"' not in page.text


async def test_a_project_you_are_not_in_is_404(api: Api) -> None:
    await api.project("Secret")
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        for path in ("/projects/secret", "/projects/secret/runs"):
            response = await web.get(path)
            assert response.status_code == 404
            assert "Secret" not in response.text


async def test_runs_tab_lists_filters_and_pages(api: Api) -> None:
    project = await api.project("Shop")
    mn = project["machine_name"]
    deploy = await api.job(mn, "echo ok", name="Deploy")
    backup = await api.job(mn, "exit 1", name="Backup")
    done = [await _done(api, await api.start(mn, deploy["machine_name"])) for _ in range(2)]
    failed = await _done(api, await api.start(mn, backup["machine_name"]))
    await make_user(api, "alice")
    await _grant(api, mn, "alice", "read")
    async with browser(api) as web:
        await sign_in(web, "alice")
        page = await web.get(f"/projects/{mn}/runs")
        assert page.status_code == 200
        ids = re.findall(rf'href="/projects/{mn}/runs/([0-9a-f-]+)"', page.text)
        assert ids == [failed["id"], done[1]["id"], done[0]["id"]]  # newest first
        assert failed["id"][:8] in page.text
        assert "admin" in page.text  # who started them (the API's first admin)
        only = await web.get(f"/projects/{mn}/runs", params={"status": "error"})
        assert re.findall(rf'href="/projects/{mn}/runs/([0-9a-f-]+)"', only.text) == [failed["id"]]
        assert '<option value="error" selected>' in only.text
        by_job = await web.get(f"/projects/{mn}/runs", params={"job": "deploy"})
        found = re.findall(rf'href="/projects/{mn}/runs/([0-9a-f-]+)"', by_job.text)
        assert found == [done[1]["id"], done[0]["id"]]
        none = await web.get(f"/projects/{mn}/runs", params={"job": "deploy", "status": "error"})
        assert "No runs match these filters." in none.text
        bad = await web.get(f"/projects/{mn}/runs", params={"status": "exploded"})
        assert bad.status_code == 422
        assert "<strong>status</strong>" in bad.text
        missing = await web.get(f"/projects/{mn}/runs", params={"job": "nope"})
        assert missing.status_code == 404
        bad_page = await web.get(f"/projects/{mn}/runs", params={"page": "0"})
        assert bad_page.status_code == 422


async def test_runs_tab_pages_keep_the_filters(api: Api) -> None:
    project = await api.project("Shop")
    mn = project["machine_name"]
    await api.job(mn, "true", name="Tick")
    other = await api.start(mn, (await api.job(mn, "true", name="Other"))["machine_name"])
    started = [await api.start(mn, "tick") for _ in range(55)]
    async with browser(api) as web:
        await make_user(api, "alice")
        await _grant(api, mn, "alice", "read")
        await sign_in(web, "alice")
        first = await web.get(f"/projects/{mn}/runs", params={"job": "tick"})
        ids = re.findall(rf'href="/projects/{mn}/runs/([0-9a-f-]+)"', first.text)
        assert ids == [run["id"] for run in reversed(started)][:50]
        assert f'rel="next" href="/projects/{mn}/runs?job=tick&amp;page=2"' in first.text
        second = await web.get(f"/projects/{mn}/runs?job=tick&page=2")
        ids = re.findall(rf'href="/projects/{mn}/runs/([0-9a-f-]+)"', second.text)
        assert ids == [run["id"] for run in reversed(started)][50:]
        assert other["id"] not in second.text
        assert 'rel="next"' not in second.text
        assert f'rel="prev" href="/projects/{mn}/runs?job=tick&amp;page=1"' in second.text
    for run in [*started, other]:
        await api.wait(run["id"])


async def test_jobs_tab_pages_by_machine_name(api: Api) -> None:
    project = await api.project("Shop")
    mn = project["machine_name"]
    for i in range(51):
        await api.job(mn, "true", name=f"Job {i:02d}")
    async with browser(api) as web:
        await make_user(api, "alice")
        await _grant(api, mn, "alice", "read")
        await sign_in(web, "alice")
        first = await web.get(f"/projects/{mn}")
        assert first.text.count(f'href="/projects/{mn}/jobs/job-') == 50
        assert f'rel="next" href="/projects/{mn}?page=2"' in first.text
        second = await web.get(f"/projects/{mn}?page=2")
        assert re.findall(rf'href="/projects/{mn}/jobs/(job-\d+)"', second.text) == ["job-50"]


async def test_new_is_no_projects_machine_name_as_it_is_the_new_project_page(api: Api) -> None:
    made = await api.project("New")
    assert made["machine_name"] == "new-2"
    for sent in ({"name": "X", "machine_name": "new"}, {"name": "new", "label": "X"}):
        refused = await api.post("/v1/projects", json=sent)
        assert refused.status_code == 422, sent
        assert refused.json()["errors"][0]["field"] in ("machine_name", "name")
        assert "reserved" in refused.json()["errors"][0]["message"]
    renamed = await api.patch("/v1/projects/new-2", json={"machine_name": "new"})
    assert renamed.status_code == 422
    assert renamed.json()["errors"][0]["field"] == "machine_name"
    schema = (await api.get("/v1/swagger.json")).json()["components"]["schemas"]
    assert "`new` is reserved" in schema["ProjectIn"]["properties"]["machine_name"]["description"]
