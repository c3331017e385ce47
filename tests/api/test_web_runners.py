"""The site admin's Runners page: runners with their state, pause, resume, delete, and
registration tokens (made and shown once, listed, revoked)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from ishcd.services import runners
from tests.api.conftest import Api
from tests.api.test_runner_registration import register
from tests.api.web_session import browser, csrf_in, make_user, sign_in


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"runner_slots": 0}


def _token_shown(html: str) -> str:
    found = re.search(r'id="new-token-value" readonly value="([^"]+)"', html)
    assert found, "no token on the page"
    return found.group(1)


async def test_make_a_registration_token_register_a_runner_pause_resume_delete(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    async with browser(api) as web:
        await sign_in(web, "alice")
        page = await web.get("/admin/runners")
        assert page.status_code == 200
        assert 'aria-current="page">Runners' in page.text
        assert "No runners yet" in page.text
        made = await web.post(
            "/admin/runners/registration-tokens",
            data={"description": "linux <fleet>", "csrf_token": csrf_in(page.text)},
        )
        assert made.status_code == 201
        assert made.headers["cache-control"] == "no-store"
        token = _token_shown(made.text)
        assert token.startswith("ishrt_")
        assert "linux &lt;fleet&gt;" in made.text
        assert 'data-copy="new-token-value"' in made.text
        # The token is shown once: the list never has it.
        listed = await web.get("/admin/runners")
        assert token not in listed.text
        assert 'data-registration-token="linux &lt;fleet&gt;"' in listed.text
        runner = await register(api, token, name="builder <1>", labels=["linux", "arm64"])
        listed = await web.get("/admin/runners")
        row = re.search(r'<tr data-runner="builder &lt;1&gt;".*?</tr>', listed.text, re.S)
        assert row, listed.text
        assert "●</span> online</span>" in row.group(0)
        assert '<code class="label">arm64</code> <code class="label">linux</code>' in row.group(0)
        csrf = csrf_in(listed.text)
        base = f"/admin/runners/{runner['id']}"
        paused = await web.post(f"{base}/pause", data={"csrf_token": csrf})
        assert paused.status_code == 303
        listed = await web.get("/admin/runners")
        assert "Runner builder &lt;1&gt; paused" in listed.text
        assert "‖</span> paused" in listed.text
        assert f'action="{base}/resume"' in listed.text
        assert (await api.get(f"/v1/runners/{runner['id']}")).json()["state"] == "paused"
        await web.post(f"{base}/resume", data={"csrf_token": csrf})
        assert (await api.get(f"/v1/runners/{runner['id']}")).json()["state"] == "online"
        deleted = await web.post(f"{base}/delete", data={"csrf_token": csrf})
        assert deleted.status_code == 303
        async with api.server.database.transaction() as conn:
            assert await runners.authenticate(conn, runner["credential"], time.time()) is None
        listed = await web.get("/admin/runners")
        assert "data-runner=" not in listed.text
        token_id = (await api.get("/v1/runners/registration-tokens")).json()[0]["id"]
        revoked = await web.post(
            f"/admin/runners/registration-tokens/{token_id}/revoke", data={"csrf_token": csrf}
        )
        assert revoked.status_code == 303
        assert (await api.get("/v1/runners/registration-tokens")).json() == []
        again = await web.post(
            f"/admin/runners/registration-tokens/{token_id}/revoke", data={"csrf_token": csrf}
        )
        assert again.status_code == 404


async def test_a_bad_description_is_shown_on_the_form(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    async with browser(api) as web:
        await sign_in(web, "alice")
        page = await web.get("/admin/runners")
        bad = await web.post(
            "/admin/runners/registration-tokens",
            data={"description": "x" * 201, "csrf_token": csrf_in(page.text)},
        )
        assert bad.status_code == 422
        assert "<strong>description</strong>" in bad.text
        assert (await api.get("/v1/runners/registration-tokens")).json() == []


async def test_forms_need_the_csrf_token(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    made = await api.post("/v1/runners/registration-tokens", json={"description": "fleet"})
    runner = await register(api, made.json()["token"])
    async with browser(api) as web:
        await sign_in(web, "alice")
        for path in (
            "/admin/runners/registration-tokens",
            f"/admin/runners/{runner['id']}/pause",
            f"/admin/runners/{runner['id']}/delete",
            f"/admin/runners/registration-tokens/{made.json()['id']}/revoke",
        ):
            response = await web.post(path, data={"description": "x", "csrf_token": "wrong"})
            assert response.status_code == 403, path
    assert (await api.get(f"/v1/runners/{runner['id']}")).json()["state"] == "online"
    assert len((await api.get("/v1/runners/registration-tokens")).json()) == 1


async def test_others_than_site_admins_get_403_and_no_link(api: Api) -> None:
    await make_user(api, "bob")
    made = await api.post("/v1/runners/registration-tokens", json={"description": "fleet"})
    runner = await register(api, made.json()["token"])
    async with browser(api) as web:
        await sign_in(web, "bob")
        projects = await web.get("/projects")
        assert "/admin/runners" not in projects.text
        csrf = csrf_in(projects.text)
        assert (await web.get("/admin/runners")).status_code == 403
        for path in (
            "/admin/runners/registration-tokens",
            f"/admin/runners/{runner['id']}/pause",
            f"/admin/runners/{runner['id']}/delete",
            f"/admin/runners/registration-tokens/{made.json()['id']}/revoke",
        ):
            response = await web.post(path, data={"description": "x", "csrf_token": csrf})
            assert response.status_code == 403, path
    assert (await api.get(f"/v1/runners/{runner['id']}")).json()["state"] == "online"
    assert len((await api.get("/v1/runners/registration-tokens")).json()) == 1


async def test_unknown_runners_and_actions_are_404(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    made = await api.post("/v1/runners/registration-tokens", json={"description": "fleet"})
    runner = await register(api, made.json()["token"])
    async with browser(api) as web:
        await sign_in(web, "alice")
        csrf = csrf_in((await web.get("/admin/runners")).text)
        missing = await web.post("/admin/runners/nope/pause", data={"csrf_token": csrf})
        assert missing.status_code == 404
        odd = await web.post(f"/admin/runners/{runner['id']}/explode", data={"csrf_token": csrf})
        assert odd.status_code == 404
        assert (await web.get("/admin/runners?page=0")).status_code == 422
