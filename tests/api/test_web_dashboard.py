"""The Projects tab: where signing in lands."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.web_session import browser, make_user, sign_in


async def test_the_projects_tab_lists_visible_projects_with_their_latest_run(api: Api) -> None:
    await make_user(api, "alice")
    mine = await api.project("Web shop")
    await api.project("Secret stuff")
    job = await api.job(mine["id"], "echo hi", name="Deploy site")
    run = await api.start(mine["id"], job["id"])
    await api.wait(run["id"])
    await api.post(f"/v1/projects/{mine['id']}/members", json={"username": "alice", "role": "read"})
    async with browser(api) as web:
        await sign_in(web, "alice")
        page = await web.get("/projects")
        assert page.status_code == 200
        assert "Web shop" in page.text
        assert "Secret stuff" not in page.text
        assert "Deploy site" in page.text
        assert f"/projects/web-shop/runs/{run['id']}" in page.text
        assert "complete" in page.text
        assert 'aria-current="page"' in page.text


async def test_names_holding_html_show_as_text(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    await api.project("<script>alert(1)</script>", machine_name="xss")
    async with browser(api) as web:
        await sign_in(web, "alice")
        page = await web.get("/projects")
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_the_projects_tab_pages_and_checks_its_page_number(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    for n in range(52):
        await api.project(f"Project {n:02d}")
    async with browser(api) as web:
        await sign_in(web, "alice")
        first = await web.get("/projects")
        assert "Project 00" in first.text
        assert 'rel="next"' in first.text
        second = await web.get("/projects?page=2")
        assert "Project 51" in second.text
        assert "Project 00" not in second.text
        bad = await web.get("/projects?page=zero")
        assert bad.status_code == 422
        assert "page" in bad.text


async def test_an_empty_dashboard_says_what_to_do(api: Api) -> None:
    await make_user(api, "alice")
    async with browser(api) as web:
        await sign_in(web, "alice")
        page = await web.get("/projects")
        assert "No projects yet" in page.text
        assert "/projects/new" in page.text
