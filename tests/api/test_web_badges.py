"""The web UI's status badge: on the project's page, and its Settings tab (public
badges, a new badge key, the artifact expiry), each doing what the API does."""

from __future__ import annotations

import html

import pytest

from tests.api.conftest import Api
from tests.api.web_session import browser, csrf_in, make_user, sign_in

# Forms over the same services as the API, which test_badges runs on both databases.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SETTINGS = "/projects/shop/settings"


async def test_the_page_shows_the_badge_and_settings_change_it_as_the_api_does(
    api: Api,
) -> None:
    async with browser(api) as web:
        await make_user(api, "alice")
        token = await sign_in(web, "alice")
        created = await web.post(
            "/v1/projects", json={"name": "Shop"}, headers={"X-CSRF-Token": token}
        )
        assert created.status_code == 201, created.text
        project = created.json()
        page = await web.get("/projects/shop")
        assert page.status_code == 200
        assert f'src="/v1/projects/{project["id"]}/badge.svg"' in page.text
        assert html.escape(project["badge"]["markdown"]) in page.text
        # The image on the page: the login session reads it.
        image = await web.get(f"/v1/projects/{project['id']}/badge.svg")
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/svg+xml"

        settings = await web.get(SETTINGS)
        public = await web.post(
            "/projects/shop/settings/badges",
            data={"csrf_token": csrf_in(settings.text), "public_badges": "on"},
        )
        assert public.status_code == 303, public.text
        shown = (await api.get("/v1/projects/shop")).json()
        assert shown["public_badges"] is True
        assert "?key=" not in shown["badge"]["url"]
        assert (await api.http.get(f"/v1/projects/{project['id']}/badge.svg")).status_code == 200
        private = await web.post(
            "/projects/shop/settings/badges", data={"csrf_token": csrf_in(settings.text)}
        )
        assert private.status_code == 303
        assert (await api.get("/v1/projects/shop")).json()["public_badges"] is False

        old = (await api.get("/v1/projects/shop")).json()["badge"]["url"]
        rotated = await web.post(
            "/projects/shop/settings/badge-key", data={"csrf_token": csrf_in(settings.text)}
        )
        assert rotated.status_code == 303
        new = (await api.get("/v1/projects/shop")).json()["badge"]["url"]
        assert new != old
        assert html.escape(new) in (await web.get(SETTINGS)).text
        # Without the CSRF token, nothing changes.
        refused = await web.post("/projects/shop/settings/badge-key", data={"csrf_token": "x"})
        assert refused.status_code == 403
        assert (await api.get("/v1/projects/shop")).json()["badge"]["url"] == new


async def test_the_artifact_expiry_is_set_in_days(api: Api) -> None:
    async with browser(api) as web:
        await make_user(api, "alice")
        token = await sign_in(web, "alice")
        created = await web.post(
            "/v1/projects", json={"name": "Shop"}, headers={"X-CSRF-Token": token}
        )
        assert created.status_code == 201
        fields = {
            "name": "Shop",
            "machine_name": "shop",
            "description": "",
            "repository": "",
            "default_branch": "main",
            "log_retention_days": "",
        }

        async def save(days: str) -> int:
            form = await web.get(SETTINGS)
            data = {"csrf_token": csrf_in(form.text), **fields, "artifacts_expire_days": days}
            return (await web.post(SETTINGS, data=data)).status_code

        assert await save("7") == 303
        assert (await api.get("/v1/projects/shop")).json()["artifacts_expire_in"] == 7 * 86400
        assert (
            'name="artifacts_expire_days" type="number" min="0.0417" max="3650" step="any" '
            'value="7"' in (await web.get(SETTINGS)).text
        )
        assert await save("7") == 303  # unchanged
        assert await save("0.01") == 422  # under an hour
        assert await save("soon") == 422
        assert (await api.get("/v1/projects/shop")).json()["artifacts_expire_in"] == 7 * 86400
        assert await save("") == 303
        assert (await api.get("/v1/projects/shop")).json()["artifacts_expire_in"] is None
