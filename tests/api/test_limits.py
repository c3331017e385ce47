"""Hostile input gets the same clear answer on SQLite and PostgreSQL (issue 8).

NUL characters (PostgreSQL cannot store them), page numbers past any integer
column, bodies past the size limit and error answers for huge inputs.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ishcd import exceptions
from ishcd.db import jobs as jobs_db
from tests.api.conftest import Api

NUL = "a\u0000b"


@pytest.fixture
async def job(api: Api) -> dict[str, Any]:
    await api.project("Ops")
    return await api.job("ops", "true", name="j", variables=[{"name": "A"}])


def fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/projects", {"name": NUL}, "name"),
        ("/v1/projects", {"name": "p", "description": NUL}, "description"),
        ("/v1/projects/ops/jobs", {"name": NUL, "script": "true"}, "name"),
        ("/v1/projects/ops/jobs", {"name": "x", "script": f"echo {NUL}"}, "script"),
        ("/v1/projects/ops/jobs", {"name": "x", "script": "t", "description": NUL}, "description"),
        (
            "/v1/projects/ops/jobs",
            {"name": "x", "script": "t", "variables": [{"name": "A", "description": NUL}]},
            "variables[0].description",
        ),
        ("/v1/projects/ops/jobs/j/runs", {"env": {"A": NUL}}, "env.A"),
        ("/v1/projects/ops/jobs/j/runs", {"env": {NUL: "x"}}, "env"),
        ("/v1/users", {"username": NUL}, "username"),
        ("/v1/tokens", {"name": NUL}, "name"),
        ("/v1/projects/ops/envvars", {"name": "A", "value": NUL}, "value"),
        ("/v1/projects/ops/pipelines", {"parameters": {"x": [NUL]}}, "parameters.x[0]"),
    ],
)
async def test_nul_in_a_body_is_422_naming_the_field(
    api: Api, job: dict[str, Any], path: str, body: dict[str, Any], field: str
) -> None:
    response = await api.post(path, json=body)
    assert response.status_code == 422, response.text
    assert field in fields(response)
    assert "must not contain NUL characters" in [e["message"] for e in response.json()["errors"]]


async def test_nul_in_a_login_is_422_before_anything(api: Api) -> None:
    body = {"username": NUL, "password": "whatever"}
    response = await api.http.post("/v1/auth/login", json=body)
    assert response.status_code == 422, response.text
    assert fields(response) == ["username"]


async def test_nul_in_a_patch_is_422(api: Api, job: dict[str, Any]) -> None:
    for path, body in (
        ("/v1/projects/ops", {"name": NUL}),
        ("/v1/projects/ops/jobs/j", {"script": NUL}),
        ("/v1/account", {"name": NUL}),
    ):
        response = await api.patch(path, json=body)
        assert response.status_code == 422, (path, response.text)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/projects/a%00b",
        "/v1/projects/ops/jobs/a%00b",
        "/v1/projects/ops/jobs/j/runs/a%00b",
        "/v1/runs/a%00b",
        "/v1/users/a%00b",
        "/v1/pipelines/a%00b",
        "/v1/invitations/a%00b",
    ],
)
async def test_nul_in_a_path_is_404(api: Api, job: dict[str, Any], path: str) -> None:
    response = await api.get(path)
    assert response.status_code == 404, response.text
    assert response.json()["message"] == "not found"


async def test_nul_in_a_query_is_422_naming_it(api: Api, job: dict[str, Any]) -> None:
    response = await api.post("/v1/projects/ops/jobs/j/runs?request_token=a%00b")
    assert response.status_code == 422, response.text
    assert fields(response) == ["request_token"]
    response = await api.get("/v1/projects/ops/runs?job=a%00b")
    assert response.status_code == 422
    assert fields(response) == ["job"]
    response = await api.http.get("/v1/auth/token?api_token=x%00")
    assert response.status_code == 422
    assert fields(response) == ["api_token"]


async def test_no_nul_reaches_a_script(api: Api, job: dict[str, Any]) -> None:
    """SQLite stored such a script and its run failed (exit 126); now it is refused."""
    body = {"name": "n", "script": "echo one\u0000two"}
    response = await api.post("/v1/projects/ops/jobs", json=body)
    assert response.status_code == 422
    assert (await api.get("/v1/projects/ops/jobs/n")).status_code == 404


async def list_paths(api: Api, run_id: str) -> list[str]:
    schema = (await api.get("/v1/swagger.json")).json()
    found = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        answer = (get or {}).get("responses", {}).get("200", {}).get("content", {})
        is_list = answer.get("application/json", {}).get("schema", {}).get("type") == "array"
        if get and is_list and any(p["name"] == "page" for p in get.get("parameters", [])):
            named = path.replace("{project_ish}", "ops").replace("{job_ish}", "j")
            found.append(named.replace("{run_id}", run_id))
    return found


# What a list needs besides its page: a search's required terms.
REQUIRED = {"/v1/runs": {"id_prefix": "abcd"}}


async def test_every_list_bounds_its_page_number(api: Api, job: dict[str, Any]) -> None:
    run = await api.start("ops", "j", env={"A": "1"})
    paths = await list_paths(api, run["id"])
    assert len(paths) >= 8, paths
    run_id = (await api.start("ops", "j"))["id"]  # for a run's lists (its tests...)
    for path in (p.replace("{run_id}", run_id) for p in paths):
        needs = REQUIRED.get(path, {})
        for page in ("1000000000000000000", "1000001", str(2**70)):
            response = await api.get(path, params={**needs, "page": page, "per_page": "100"})
            assert response.status_code == 422, (path, page, response.text)
            assert fields(response) == ["page"], path
        response = await api.get(path, params={**needs, "page": "1000000", "per_page": "100"})
        assert response.status_code == 200, (path, response.text)
        assert response.json() == []


async def test_other_integers_are_bounded(api: Api, job: dict[str, Any]) -> None:
    run = await api.start("ops", "j")
    for path in (f"/v1/runs/{run['id']}/log", f"/v1/projects/ops/jobs/j/runs/{run['id']}/log"):
        response = await api.get(path, params={"offset": str(2**63)})
        assert response.status_code == 422
        assert fields(response) == ["offset"]
    response = await api.get(f"/v1/projects/ops/pipelines/{2**31}")
    assert response.status_code == 422
    assert fields(response) == ["number"]
    assert (await api.get(f"/v1/projects/ops/pipelines/{2**31 - 1}")).status_code == 404


async def test_the_database_never_answers_with_its_own_words(api: Api) -> None:
    """A value a driver refuses is a domain error on both databases, never driver text."""
    async with api.server.database.read() as conn:
        with pytest.raises(exceptions.Unstorable) as caught:
            await jobs_db.list_jobs(conn, "p", limit=10, offset=2**70)
    assert str(caught.value) == "A value is out of range or cannot be stored."


async def test_a_body_over_the_limit_is_413_before_authentication(api: Api) -> None:
    limit = api.server.settings.max_body_bytes
    big = json.dumps({"name": "x" * limit}).encode()
    for headers in ({}, api.auth):
        response = await api.http.post(
            "/v1/projects", content=big, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 413, response.text
        assert str(limit) in response.json()["message"]
        assert response.headers["connection"] == "close"
    response = await api.http.post("/v1/auth/login", content=big)
    assert response.status_code == 413


async def test_a_chunked_body_is_counted_as_it_comes(api: Api) -> None:
    limit = api.server.settings.max_body_bytes
    sent = 0

    async def chunks(total: int) -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"name": "'
        while sent < total:
            sent += 64 * 1024
            yield b"x" * (64 * 1024)
        yield b'"}'

    response = await api.http.post("/v1/auth/login", content=chunks(100 * limit))
    assert response.status_code == 413, response.text
    assert sent <= limit + 128 * 1024  # stopped reading just past the limit
    sent = 0
    headers = {**api.auth, "Content-Type": "application/json"}
    small = await api.post("/v1/projects", content=chunks(1024), headers=headers)
    assert small.status_code == 422  # read whole and parsed: the name is too long
    assert small.json()["errors"][0]["field"] == "name"


async def test_an_error_answer_stays_small(api: Api, job: dict[str, Any]) -> None:
    """100,000 undeclared keys gave an 8.4 MB 422; now the first 20, and how many more."""
    env = {f"K{i:06d}": "" for i in range(60_000)}
    response = await api.post("/v1/projects/ops/jobs/j/runs", json={"env": env})
    assert response.status_code == 422
    body = response.json()
    assert len(body["errors"]) == exceptions.LISTED
    assert body["message"].endswith("and 59980 more")
    assert len(response.content) < 10_000
    extra = {f"k{i}": 1 for i in range(50_000)}
    response = await api.post("/v1/projects", json={"name": "p", **extra})
    assert response.status_code == 422
    assert len(response.json()["errors"]) == exceptions.LISTED
    assert response.json()["message"].endswith("and 49980 more")
    assert len(response.content) < 10_000
