"""Status badges through the real API: each status, branch and workflow, job badges,
who may see them (token, badge key, public_badges, nobody else), ETag and escaping."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any
from xml.etree import ElementTree

import pytest
import pytest_asyncio

from tests import databases
from tests.api.conftest import Api, bearer, make_settings, serving

pytestmark = pytest.mark.asyncio(loop_scope="module")

FINISHED = ("complete", "error")
CONFIG = """\
version: 1
jobs:
  build: {{steps: [{{run: "{script}"}}]}}
workflows:
  {workflow}:
    jobs: [build]
"""
HELD = """\
version: 1
jobs:
  hold: {type: approval}
workflows:
  main:
    jobs: [hold]
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgresql"])
async def api(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_templates: databases.SQLiteTemplates,
    postgres_templates: databases.PostgresTemplates,
) -> AsyncIterator[Api]:
    """One server per database for the module; each test makes its own project."""
    tmp = tmp_path_factory.mktemp("badges")
    if request.param == "sqlite":
        url = await sqlite_templates.clone(tmp / "data" / "ishcd.db")
    elif databases.POSTGRES_URL is None:
        pytest.skip(databases.SKIP_POSTGRES)
    else:
        url = await postgres_templates.clone()
    try:
        async with serving(make_settings(tmp, url)) as served:
            yield served
    finally:
        if request.param == "postgresql":
            await postgres_templates.drop(url)


async def new_project(api: Api, **fields: Any) -> dict[str, Any]:
    return await api.project(f"Badges {uuid.uuid4().hex[:8]}", **fields)


async def trigger(api: Api, project: dict[str, Any], config: str, **body: Any) -> dict[str, Any]:
    path = f"/v1/projects/{project['id']}/pipelines"
    response = await api.post(path, json={"config": config, **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def wait_pipeline(
    api: Api, pipeline_id: str, until: tuple[str, ...] = FINISHED
) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        pipeline = dict((await api.get(f"/v1/pipelines/{pipeline_id}")).json())
        if pipeline["status"] in until:
            return pipeline
        if time.monotonic() > deadline:
            raise AssertionError(f"pipeline still {pipeline['status']}: {pipeline}")
        await asyncio.sleep(0.03)


async def pipeline(
    api: Api, project: dict[str, Any], script: str, workflow: str = "main", **body: Any
) -> dict[str, Any]:
    made = await trigger(api, project, CONFIG.format(script=script, workflow=workflow), **body)
    return await wait_pipeline(api, made["id"])


def said(svg: str) -> tuple[str, str]:
    """The (label, status) a badge shows, read from its accessible title."""
    root = ElementTree.fromstring(svg)
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None
    assert title.text is not None
    label, _, status = title.text.rpartition(": ")
    return label, status


async def badge(api: Api, path: str, **params: str) -> tuple[str, str]:
    response = await api.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "no-cache"
    return said(response.text)


def badge_path(project: dict[str, Any]) -> str:
    return f"/v1/projects/{project['id']}/badge.svg"


async def test_a_branch_badge_is_unknown_then_passing_then_failing(api: Api) -> None:
    project = await new_project(api)
    path = badge_path(project)
    assert await badge(api, path) == ("build", "unknown")
    assert (await pipeline(api, project, "true"))["status"] == "complete"
    assert await badge(api, path) == ("build", "passing")
    assert (await pipeline(api, project, "false"))["status"] == "error"
    assert await badge(api, path) == ("build", "failing")
    # By machine name too, and with a label of one's own.
    assert await badge(api, f"/v1/projects/{project['machine_name']}/badge.svg") == (
        "build",
        "failing",
    )
    assert await badge(api, path, label="tests") == ("tests", "failing")


async def test_running_and_on_hold_are_running_and_a_stop_is_failing(api: Api) -> None:
    project = await new_project(api)
    path = badge_path(project)
    held = await trigger(api, project, HELD)
    await wait_pipeline(api, held["id"], until=("on_hold",))
    assert await badge(api, path) == ("build", "running")
    await api.post(f"/v1/pipelines/{held['id']}/stop")
    await wait_pipeline(api, held["id"])
    assert await badge(api, path) == ("build", "failing")
    made = await trigger(api, project, CONFIG.format(script="sleep 30", workflow="main"))
    await wait_pipeline(api, made["id"], until=("running",))
    assert await badge(api, path) == ("build", "running")
    await api.post(f"/v1/pipelines/{made['id']}/stop")
    stopped = await wait_pipeline(api, made["id"])
    assert (stopped["status"], stopped["error_reason"]) == ("error", "canceled")
    assert await badge(api, path) == ("build", "failing")


async def test_the_branch_and_workflow_choose_the_pipeline(api: Api) -> None:
    project = await new_project(api)
    path = badge_path(project)
    await pipeline(api, project, "true", workflow="tests")
    await pipeline(api, project, "false", workflow="deploy", branch="release")
    await pipeline(api, project, "false", workflow="lint")
    # main (the default branch): its latest pipeline, lint, failed.
    assert await badge(api, path) == ("build", "failing")
    assert await badge(api, path, branch="main") == ("build", "failing")
    # Only pipelines with a "tests" workflow: the earlier one, which passed.
    assert await badge(api, path, workflow="tests") == ("build", "passing")
    assert await badge(api, path, branch="release") == ("build", "failing")
    assert await badge(api, path, branch="release", workflow="tests") == ("build", "unknown")
    assert await badge(api, path, branch="nowhere") == ("build", "unknown")
    # The default branch is the project's.
    await api.patch(f"/v1/projects/{project['id']}", json={"default_branch": "release"})
    assert await badge(api, path, workflow="deploy") == ("build", "failing")
    await pipeline(api, project, "true", workflow="deploy", branch="release")
    assert await badge(api, path) == ("build", "passing")


async def test_a_job_badge_shows_its_latest_run_under_its_name(api: Api) -> None:
    project = await new_project(api)
    job = await api.job(project["id"], "true", name="Nightly backup")
    path = f"/v1/projects/{project['id']}/jobs/{job['id']}/badge.svg"
    assert await badge(api, path) == ("Nightly backup", "unknown")
    await api.wait((await api.start(project["id"], job["id"]))["id"])
    assert await badge(api, path) == ("Nightly backup", "passing")
    await api.patch(f"/v1/projects/{project['id']}/jobs/{job['id']}", json={"script": "sleep 30"})
    run = await api.start(project["id"], job["id"])
    await api.wait(run["id"], until=("running",))
    by_names = f"/v1/projects/{project['machine_name']}/jobs/{job['machine_name']}/badge.svg"
    assert await badge(api, by_names) == ("Nightly backup", "running")
    await api.post(f"/v1/runs/{run['id']}/cancel")
    await api.wait(run["id"])
    assert await badge(api, path) == ("Nightly backup", "failing")
    assert await badge(api, path, label="backup") == ("backup", "failing")
    missing = await api.get(f"/v1/projects/{project['id']}/jobs/nope/badge.svg")
    assert missing.status_code == 404


async def test_the_key_shows_badges_and_nothing_else(api: Api) -> None:
    project = await new_project(api)
    other = await new_project(api)
    job = await api.job(project["id"], "true")
    shown = (await api.get(f"/v1/projects/{project['id']}")).json()
    key = shown["badge"]["url"].partition("?key=")[2]
    assert len(key) >= 32
    assert shown["public_badges"] is False
    anonymous = api.http
    path = badge_path(project)
    # Without a token or the key: as if the project did not exist.
    for params in ({}, {"key": "wrong"}, {"key": key[:-1]}):
        assert (await anonymous.get(path, params=params)).status_code == 404
    assert (await anonymous.get(path, params={"key": key})).status_code == 200
    job_badge = f"/v1/projects/{project['id']}/jobs/{job['id']}/badge.svg"
    assert (await anonymous.get(job_badge, params={"key": key})).status_code == 200
    assert (await anonymous.get(job_badge)).status_code == 404
    # The key opens nothing else: not the project, its runs or jobs, nor another
    # project's badge; and it is no token.
    for refused in (
        f"/v1/projects/{project['id']}",
        f"/v1/projects/{project['id']}/runs",
        f"/v1/projects/{project['id']}/jobs",
        f"/v1/projects/{project['id']}/pipelines",
        f"/v1/projects/{project['id']}/jobs/{job['id']}",
    ):
        assert (await anonymous.get(refused, params={"key": key})).status_code == 401, refused
        as_token = await anonymous.get(refused, headers=bearer(key))
        assert as_token.status_code == 401, refused
    assert (await anonymous.get(badge_path(other), params={"key": key})).status_code == 404
    assert (await anonymous.get(path, headers=bearer(key))).status_code == 401


async def test_rotating_the_key_stops_the_old_one_at_once(api: Api) -> None:
    project = await new_project(api)
    path = badge_path(project)
    old = (await api.get(path.removesuffix("/badge.svg"))).json()["badge"]["url"]
    old_key = old.partition("?key=")[2]
    rotated = await api.post(f"/v1/projects/{project['id']}/badge-key")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["key"] != old_key
    assert new["url"].endswith(f"?key={new['key']}")
    assert (
        new["markdown"] == f"[![build]({new['url']})](http://ishcd.test/projects/{project['id']})"
    )
    assert (await api.http.get(path, params={"key": old_key})).status_code == 404
    assert (await api.http.get(path, params={"key": new["key"]})).status_code == 200
    shown = (await api.get(f"/v1/projects/{project['id']}")).json()["badge"]
    assert shown == {"url": new["url"], "markdown": new["markdown"]}
    events = (await api.get(f"/v1/projects/{project['id']}/audit")).json()
    assert "project.badge_key.rotate" in [e["action"] for e in events]


async def test_readers_see_badges_others_get_404_and_only_admins_rotate(api: Api) -> None:
    project = await new_project(api)
    path = badge_path(project)
    reader = await api.user(f"reader-{uuid.uuid4().hex[:8]}")
    stranger = await api.user(f"stranger-{uuid.uuid4().hex[:8]}")
    await api.grant(project["id"], reader, "read")
    assert (await api.http.get(path, headers=bearer(reader))).status_code == 200
    assert (await api.http.get(path, headers=bearer(stranger))).status_code == 404
    rotate = f"/v1/projects/{project['id']}/badge-key"
    assert (await api.http.post(rotate, headers=bearer(reader))).status_code == 403
    assert (await api.http.post(rotate, headers=bearer(stranger))).status_code == 404
    assert (await api.http.post(rotate)).status_code == 401
    # A reader sees the badge's Markdown with the key: it shows badges and nothing else.
    shown = (await api.http.get(path.removesuffix("/badge.svg"), headers=bearer(reader))).json()
    assert "?key=" in shown["badge"]["url"]
    # Bad credentials are a 401, as everywhere.
    assert (await api.http.get(path, headers=bearer("not-a-token"))).status_code == 401


async def test_public_badges_need_no_key(api: Api) -> None:
    project = await new_project(api)
    path = badge_path(project)
    settings = f"/v1/projects/{project['id']}"
    assert (await api.http.get(path)).status_code == 404
    changed = await api.patch(settings, json={"public_badges": True})
    assert changed.status_code == 200, changed.text
    shown = changed.json()
    assert shown["public_badges"] is True
    assert shown["badge"]["url"] == f"http://ishcd.test/v1/projects/{project['id']}/badge.svg"
    assert (await api.http.get(path)).status_code == 200
    # Public badges open the badges only.
    assert (await api.http.get(settings)).status_code == 401
    events = (await api.get(f"{settings}/audit")).json()
    update = next(e for e in events if e["action"] == "project.update")
    assert update["details"]["public_badges"] is True
    await api.patch(settings, json={"public_badges": False})
    assert (await api.http.get(path)).status_code == 404
    refused = await api.patch(settings, json={"public_badges": None})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["public_badges"]


@pytest.mark.parametrize("value", [3599, 10 * 365 * 86400 + 1, "soon", 0])
async def test_artifacts_expire_in_is_checked_naming_the_field(api: Api, value: Any) -> None:
    project = await new_project(api)
    refused = await api.patch(f"/v1/projects/{project['id']}", json={"artifacts_expire_in": value})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["artifacts_expire_in"]


async def test_artifacts_expire_in_is_set_and_cleared(api: Api) -> None:
    project = await new_project(api)
    path = f"/v1/projects/{project['id']}"
    assert project["artifacts_expire_in"] is None
    for value in (3600, 7 * 86400, 10 * 365 * 86400, None):
        changed = await api.patch(path, json={"artifacts_expire_in": value})
        assert changed.status_code == 200, changed.text
        assert (await api.get(path)).json()["artifacts_expire_in"] == value


async def test_etag_answers_304_until_the_badge_changes(api: Api) -> None:
    project = await new_project(api)
    path = badge_path(project)
    first = await api.get(path)
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    same = await api.get(path, headers={**api.auth, "If-None-Match": etag})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == etag
    assert same.headers["cache-control"] == "no-cache"
    listed = await api.get(path, headers={**api.auth, "If-None-Match": f'"other", W/{etag}'})
    assert listed.status_code == 304
    await pipeline(api, project, "true")
    changed = await api.get(path, headers={**api.auth, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


async def test_text_is_escaped_and_sized_to_fit(api: Api) -> None:
    project = await new_project(api)
    job = await api.job(project["id"], "true", name='<script>alert("x")</script> & co')
    path = f"/v1/projects/{project['id']}/jobs/{job['id']}/badge.svg"
    response = await api.get(path)
    assert "<script>" not in response.text
    assert said(response.text) == ('<script>alert("x")</script> & co', "unknown")
    short = await api.get(badge_path(project), params={"label": "ci"})
    long = await api.get(badge_path(project), params={"label": "continuous integration"})
    width = ElementTree.fromstring(short.text).get("width")
    assert int(width or 0) < int(ElementTree.fromstring(long.text).get("width") or 0)
    too_long = await api.get(badge_path(project), params={"label": "x" * 65})
    assert too_long.status_code == 422
    assert [e["field"] for e in too_long.json()["errors"]] == ["label"]
