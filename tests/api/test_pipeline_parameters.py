"""GET /projects/{p}/pipelines/parameters: what a trigger takes, read from the repository."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, bearer
from tests.api.test_pipeline_git import Repo

TYPED = """\
version: 1
parameters:
  greeting:
    type: string
    default: Hello
    description: what the build says first
  loud: {type: boolean, default: false}
  count: {type: integer, default: 3}
  target:
    type: enum
    values: [staging, production]
    default: staging
  ticket: {type: string}
jobs:
  build: {steps: [{run: echo << pipeline.parameters.greeting >>}]}
workflows:
  main: {jobs: [build]}
"""

PATH = "/v1/projects/app/pipelines/parameters"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


@pytest.fixture
async def project(api: Api, repo: Repo) -> dict[str, Any]:
    return await api.project("App", repository=str(repo.origin))


async def test_the_default_branch_s_parameters_as_declared(
    api: Api, project: dict[str, Any], repo: Repo
) -> None:
    sha = repo.push({".ishcd.yml": TYPED})
    response = await api.get(PATH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["file"] == ".ishcd.yml"
    assert body["found"] is True
    assert body["vcs"] == {"branch": "main", "tag": None, "revision": sha}
    assert body["errors"] == []
    assert body["parameters"] == [
        {
            "name": "greeting",
            "type": "string",
            "default": "Hello",
            "required": False,
            "values": [],
            "description": "what the build says first",
        },
        {
            "name": "loud",
            "type": "boolean",
            "default": False,
            "required": False,
            "values": [],
            "description": None,
        },
        {
            "name": "count",
            "type": "integer",
            "default": 3,
            "required": False,
            "values": [],
            "description": None,
        },
        {
            "name": "target",
            "type": "enum",
            "default": "staging",
            "required": False,
            "values": ["staging", "production"],
            "description": None,
        },
        {
            "name": "ticket",
            "type": "string",
            "default": None,
            "required": True,
            "values": [],
            "description": None,
        },
    ]
    # Nothing was created.
    assert (await api.get("/v1/projects/app/pipelines")).json() == []


async def test_a_branch_tag_or_revision_is_read_there(
    api: Api, project: dict[str, Any], repo: Repo
) -> None:
    first = repo.push({".ishcd.yml": TYPED})
    other = TYPED.replace("  ticket: {type: string}\n", "")
    second = repo.push({".ishcd.yml": other}, branch="feature")
    repo.tag("v1", first)
    on_branch = (await api.get(PATH, params={"branch": "feature"})).json()
    assert on_branch["vcs"]["revision"] == second
    assert [p["name"] for p in on_branch["parameters"]] == ["greeting", "loud", "count", "target"]
    on_tag = (await api.get(PATH, params={"tag": "v1"})).json()
    assert on_tag["vcs"] == {"branch": None, "tag": "v1", "revision": first}
    assert len(on_tag["parameters"]) == 5
    at = (await api.get(PATH, params={"revision": first})).json()
    assert at["vcs"]["revision"] == first


async def test_what_is_not_there_is_422_naming_the_field(
    api: Api, project: dict[str, Any], repo: Repo
) -> None:
    repo.push({".ishcd.yml": TYPED})
    missing = await api.get(PATH, params={"branch": "nope"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "branch"
    both = await api.get(PATH, params={"branch": "main", "tag": "v1"})
    assert both.status_code == 422
    assert both.json()["errors"][0]["field"] == "tag"
    bad = await api.get(PATH, params={"revision": "not hex"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "revision"
    long = await api.get(PATH, params={"branch": "b" * 300})
    assert long.status_code == 422


async def test_a_config_with_problems_or_none_says_so(
    api: Api, project: dict[str, Any], repo: Repo
) -> None:
    repo.push({"README": "no config here\n"})
    none = (await api.get(PATH)).json()
    assert none["found"] is False
    assert none["parameters"] == []
    assert "not in the repository" in none["errors"][0]["message"]
    broken = TYPED.replace("workflows:\n  main: {jobs: [build]}\n", "workflows:\n  main: {}\n")
    repo.push({".ishcd.yml": broken})
    body = (await api.get(PATH)).json()
    assert body["found"] is True
    assert len(body["parameters"]) == 5  # still readable, for the form
    assert body["errors"]
    assert body["errors"][0]["path"].startswith("workflows.main")


async def test_without_a_repository_it_is_409(api: Api) -> None:
    await api.project("Inline")
    response = await api.get("/v1/projects/inline/pipelines/parameters")
    assert response.status_code == 409
    assert "no repository" in response.json()["message"]


async def test_readers_may_read_parameters_and_strangers_get_404(
    api: Api, project: dict[str, Any], repo: Repo
) -> None:
    repo.push({".ishcd.yml": TYPED})
    reader = await api.user("reader")
    await api.grant(project["id"], reader, "read")
    assert (await api.get(PATH, headers=bearer(reader))).status_code == 200
    stranger = await api.user("stranger")
    assert (await api.get(PATH, headers=bearer(stranger))).status_code == 404
