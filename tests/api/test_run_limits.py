"""A run that could never start is refused when it is created (issue 8, defect 7).

80 declared variables of 128 KB (a 10 MB env) were accepted; every such run
ended setup_failed ("Argument list too long"). Now the script, each value,
the number of variables and the whole env a run would be given have limits,
each a setting, and a 422 says which limit.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

KIB = 1024


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_body_bytes": 16 * 1024 * KIB}


@pytest.fixture
async def project(api: Api) -> dict[str, Any]:
    return await api.project("Ops")


def only_error(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text[:500]
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    return dict(errors[0])


async def test_the_reported_ten_megabyte_env_is_refused(api: Api, project: dict[str, Any]) -> None:
    variables = [{"name": f"V{i}", "default": "x" * 128_000} for i in range(80)]
    body = {"name": "big", "script": "true", "variables": variables}
    response = await api.post("/v1/projects/ops/jobs", json=body)
    assert response.status_code == 422
    assert len(response.json()["errors"]) == 20
    assert response.json()["message"].endswith("and 60 more")
    assert response.json()["errors"][0] == {
        "field": "variables[0].default",
        "message": "must be at most 65536 bytes",
    }


async def test_declared_defaults_together_are_limited(api: Api, project: dict[str, Any]) -> None:
    variables = [{"name": f"V{i}", "default": "x" * 60 * KIB} for i in range(9)]
    body = {"name": "big", "script": "true", "variables": variables}
    error = only_error(await api.post("/v1/projects/ops/jobs", json=body))
    assert error["field"] == "variables"
    assert "the limit is 524288 bytes" in error["message"]
    response = await api.post("/v1/projects/ops/jobs", json={**body, "variables": variables[:8]})
    assert response.status_code == 201, response.text
    patch = await api.patch("/v1/projects/ops/jobs/big", json={"variables": variables})
    assert only_error(patch)["field"] == "variables"


async def test_the_number_of_variables_is_limited(api: Api, project: dict[str, Any]) -> None:
    variables = [{"name": f"V{i}"} for i in range(101)]
    body = {"name": "many", "script": "true", "variables": variables}
    error = only_error(await api.post("/v1/projects/ops/jobs", json=body))
    assert error == {"field": "variables", "message": "declares 101; the limit is 100 variables"}
    body["variables"] = variables[:100]
    assert (await api.post("/v1/projects/ops/jobs", json=body)).status_code == 201


async def test_a_script_is_limited(api: Api, project: dict[str, Any]) -> None:
    script = "#" * (512 * KIB + 1)
    error = only_error(
        await api.post("/v1/projects/ops/jobs", json={"name": "s", "script": script})
    )
    assert error["field"] == "script"
    assert "the limit is 524288 bytes" in error["message"]
    await api.job("ops", "true", name="s")
    patch = await api.patch("/v1/projects/ops/jobs/s", json={"script": script})
    assert only_error(patch)["field"] == "script"


async def test_a_run_env_value_is_limited(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "true", name="j", variables=[{"name": "A"}])
    body = {"env": {"A": "x" * (64 * KIB + 1)}}
    error = only_error(await api.post("/v1/projects/ops/jobs/j/runs", json=body))
    assert error == {"field": "env.A", "message": "must be at most 65536 bytes"}


async def test_the_whole_env_of_a_run_is_limited(api: Api, project: dict[str, Any]) -> None:
    """Project env vars, job defaults and the run's env together must fit."""
    names = [f"V{i}" for i in range(4)]
    await api.job("ops", "echo ok", name="j", variables=[{"name": n} for n in names])
    for i in range(5):
        body = {"name": f"P{i}", "value": "p" * 60 * KIB}
        assert (await api.post("/v1/projects/ops/envvars", json=body)).status_code == 201
    env = dict.fromkeys(names, "v" * 60 * KIB)
    error = only_error(await api.post("/v1/projects/ops/jobs/j/runs", json={"env": env}))
    assert error["field"] == "env"
    assert "the limit is 524288 bytes" in error["message"]
    env.popitem()
    run = await api.start("ops", "j", env=env)
    finished = await api.wait(run["id"])
    assert finished["status"] == "complete", finished


async def test_an_envvar_value_is_limited(api: Api, project: dict[str, Any]) -> None:
    body = {"name": "P", "value": "p" * (64 * KIB + 1)}
    error = only_error(await api.post("/v1/projects/ops/envvars", json=body))
    assert error == {"field": "value", "message": "must be at most 65536 bytes"}
