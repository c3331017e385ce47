"""Jobs: scripts with declared variables, addressed by id or machine name."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, bearer


@pytest.fixture
async def project(api: Api) -> dict[str, Any]:
    return await api.project("Ops")


async def test_create_and_read_a_job(api: Api, project: dict[str, Any]) -> None:
    body = {
        "name": "Backup prod",
        "description": "nightly",
        "script": "echo $TARGET",
        "variables": [{"name": "TARGET", "default": "db", "description": "what"}],
        "timeout": 60,
    }
    response = await api.post("/v1/projects/ops/jobs", json=body)
    assert response.status_code == 201
    job = response.json()
    assert job["machine_name"] == "backup-prod"
    assert job["project"] == {"id": project["id"], "machine_name": "ops"}
    assert job["variables"] == [
        {
            "name": "TARGET",
            "default": "db",
            "required": False,
            "secret": False,
            "description": "what",
        }
    ]
    assert job["timeout"] == 60
    for path in (
        "/v1/projects/ops/jobs/backup-prod",
        f"/v1/projects/{project['id']}/jobs/{job['id']}",
    ):
        assert (await api.get(path)).json() == job


async def test_a_job_belongs_to_its_project(api: Api, project: dict[str, Any]) -> None:
    job = await api.job("ops", "true", name="j")
    await api.project("Other")
    assert (await api.get(f"/v1/projects/other/jobs/{job['id']}")).status_code == 404
    assert (await api.get("/v1/projects/other/jobs/j")).status_code == 404


async def test_same_machine_name_in_two_projects_is_fine(api: Api, project: dict[str, Any]) -> None:
    await api.project("Other")
    await api.job("ops", "true", name="deploy")
    await api.job("other", "true", name="deploy")
    response = await api.post(
        "/v1/projects/ops/jobs", json={"name": "x", "machine_name": "deploy", "script": "true"}
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ([{"name": "1BAD"}], "variables[0].name"),
        ([{"name": "A-B"}], "variables[0].name"),
        ([{"name": "ISHCD_RUN_ID"}], "variables[0].name"),
        ([{"name": "A"}, {"name": "A"}], "variables[1].name"),
        ([{"name": "A", "default": "x\u0000y"}], "variables[0].default"),
        ([{"name": "A", "default": 5}], "variables[0].default"),
        ([{"name": "A", "colour": "red"}], "variables[0].colour"),
    ],
)
async def test_bad_variable_declarations_name_the_field(
    api: Api, project: dict[str, Any], variables: list[dict[str, Any]], field: str
) -> None:
    body = {"name": "j", "script": "true", "variables": variables}
    response = await api.post("/v1/projects/ops/jobs", json=body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "j"}, "script"),
        ({"name": "j", "script": ""}, "script"),
        ({"name": "j", "script": "true", "timeout": 0}, "timeout"),
        ({"name": "j", "script": "true", "timeout": "soon"}, "timeout"),
        ({"script": "true"}, "name"),
    ],
)
async def test_bad_jobs_are_422_naming_the_field(
    api: Api, project: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    response = await api.post("/v1/projects/ops/jobs", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_secret_defaults_are_masked_and_survive_a_round_trip(
    api: Api, project: dict[str, Any]
) -> None:
    variables = [
        {"name": "PASSWORD", "default": "hunter2", "secret": True},
        {"name": "USER", "default": "me"},
    ]
    job = await api.job(
        "ops",
        'echo "$USER:$PASSWORD" > /dev/null; test "$PASSWORD" = hunter2',
        name="j",
        variables=variables,
    )
    assert job["variables"][0]["default"] == "***"
    # A client that sends back what it read must not overwrite the secret with ***.
    response = await api.patch("/v1/projects/ops/jobs/j", json={"variables": job["variables"]})
    assert response.status_code == 200
    run = await api.wait((await api.start("ops", "j"))["id"])
    assert run["status"] == "complete"


async def test_patch_changes_a_job_and_validates(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "true", name="j")
    response = await api.patch(
        "/v1/projects/ops/jobs/j", json={"script": "echo changed", "machine_name": "k"}
    )
    assert response.status_code == 200
    assert response.json()["machine_name"] == "k"
    assert response.json()["script"] == "echo changed"
    assert (await api.patch("/v1/projects/ops/jobs/k", json={"script": None})).status_code == 422
    assert (await api.patch("/v1/projects/ops/jobs/k", json={"timeout": -1})).status_code == 422
    assert (
        await api.patch("/v1/projects/ops/jobs/k", json={"machine_name": "Bad Name"})
    ).status_code == 422


async def test_runs_keep_the_script_they_were_created_with(
    api: Api, project: dict[str, Any]
) -> None:
    await api.job("ops", "echo first", name="j")
    await api.post("/v1/projects/ops/jobs/j/runs")
    run = await api.start("ops", "j")
    await api.patch("/v1/projects/ops/jobs/j", json={"script": "echo second"})
    assert (await api.wait(run["id"]))["log"] == "first\n"


async def test_list_jobs_by_machine_name(api: Api, project: dict[str, Any]) -> None:
    for name in ("zeta", "alpha"):
        await api.job("ops", "true", name=name)
    response = await api.get("/v1/projects/ops/jobs")
    assert [j["machine_name"] for j in response.json()] == ["alpha", "zeta"]
    assert 'rel="first"' in response.headers["Link"]


async def test_delete_a_job_and_its_runs(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "true", name="j")
    run = await api.wait((await api.start("ops", "j"))["id"])
    assert (await api.delete("/v1/projects/ops/jobs/j")).status_code == 204
    assert (await api.get("/v1/projects/ops/jobs/j")).status_code == 404
    assert (await api.get(f"/v1/runs/{run['id']}")).status_code == 404


async def test_only_project_admins_change_jobs(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "true", name="j")
    bob = await api.user("bob")
    await api.grant(project["id"], bob, "write")
    headers = bearer(bob)
    assert (await api.get("/v1/projects/ops/jobs/j", headers=headers)).status_code == 200
    body = {"name": "k", "script": "true"}
    assert (await api.post("/v1/projects/ops/jobs", json=body, headers=headers)).status_code == 403
    assert (
        await api.patch("/v1/projects/ops/jobs/j", json=body, headers=headers)
    ).status_code == 403
    assert (await api.delete("/v1/projects/ops/jobs/j", headers=headers)).status_code == 403
