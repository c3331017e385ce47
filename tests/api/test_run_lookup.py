"""Finding runs by the start of their id, and a project's runs of one pipeline."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from ishcd.db.query import Query
from ishcd.db.tables import runs
from tests.api.conftest import Api, bearer
from tests.api.test_pipelines import trigger, wait_pipeline

NO_RUNNER = pytest.mark.parametrize("settings_overrides", [{"runner_slots": 0}])
PIPELINE = (
    "version: 1\njobs:\n  build:\n    steps:\n      - run: echo built\n"
    "workflows:\n  main:\n    jobs: [build]\n"
)


@NO_RUNNER
async def test_a_prefix_finds_the_runs_whose_id_starts_with_it(api: Api) -> None:
    await api.project("My Corp", machine_name="my-corp")
    await api.job("my-corp", "true", name="job")
    made = [await api.start("my-corp", "job") for _ in range(3)]
    for run in made:
        for size in (4, 8, 9, 13, 36):
            prefix = run["id"][:size]
            found = (await api.get("/v1/runs", params={"id_prefix": prefix})).json()
            assert run["id"] in [r["id"] for r in found]
            assert all(r["id"].startswith(prefix) for r in found)
    whole = await api.get("/v1/runs", params={"id_prefix": made[0]["id"].upper()})
    assert [r["id"] for r in whole.json()] == [made[0]["id"]]
    assert whole.json()[0]["log"] is None
    other = "0000" if not any(r["id"].startswith("0000") for r in made) else "ffff"
    assert (await api.get("/v1/runs", params={"id_prefix": other})).json() == []


_RENAME = Query(
    sa.update(runs).where(runs.c.id == sa.bindparam("old")).values(id=sa.bindparam("new"))
)


@NO_RUNNER
async def test_a_prefix_shared_by_runs_lists_them_newest_first_by_pages(api: Api) -> None:
    await api.project("My Corp", machine_name="my-corp")
    await api.job("my-corp", "true", name="job")
    made = [await api.start("my-corp", "job") for _ in range(3)]
    # Ids are random: give them a common start, as many runs in a big server have.
    shared = [f"abcd{n}{run['id'][5:]}" for n, run in enumerate(made)]
    async with api.server.database.transaction() as conn:
        for run, new in zip(made, shared, strict=True):
            await conn.execute(_RENAME, old=run["id"], new=new)
    response = await api.get("/v1/runs", params={"id_prefix": "ABCD", "per_page": 2})
    assert response.status_code == 200
    assert [r["id"] for r in response.json()] == [shared[2], shared[1]]
    assert 'rel="next"' in response.headers["Link"]
    found = (await api.get("/v1/runs", params={"id_prefix": "abcd1"})).json()
    assert [r["id"] for r in found] == [shared[1]]


@NO_RUNNER
async def test_only_the_runs_the_caller_may_see_are_found(api: Api) -> None:
    mine = await api.project("Mine", machine_name="mine")
    await api.project("Theirs", machine_name="theirs")
    await api.job("mine", "true", name="job")
    await api.job("theirs", "true", name="job")
    visible = await api.start("mine", "job")
    hidden = await api.start("theirs", "job")
    bob = await api.user("bob")
    await api.grant(mine["id"], bob, "read")

    async def found(token: str, run: dict[str, Any]) -> list[str]:
        params = {"id_prefix": run["id"][:8]}
        response = await api.get("/v1/runs", params=params, headers=bearer(token))
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()]

    assert await found(bob, visible) == [visible["id"]]
    assert await found(bob, hidden) == []
    assert await found(api.token, hidden) == [hidden["id"]]  # a site admin sees every run
    carol = await api.user("carol", admin=False)
    assert await found(carol, visible) == []
    response = await api.post(
        f"/v1/projects/{mine['id']}/tokens", json={"name": "ci", "role": "read"}
    )
    assert response.status_code == 201, response.text  # a project token: its project only
    project_token = response.json()["token"]
    assert await found(project_token, visible) == [visible["id"]]
    assert await found(project_token, hidden) == []


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"id_prefix": "abc"},
        {"id_prefix": "abcg"},
        {"id_prefix": "-abc1"},
        {"id_prefix": "abcd%"},
        {"id_prefix": "a" * 37},
    ],
)
async def test_a_missing_or_malformed_prefix_is_422_naming_the_field(
    api: Api, params: dict[str, str]
) -> None:
    response = await api.get("/v1/runs", params=params)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["id_prefix"]


async def test_finding_runs_needs_credentials(api: Api) -> None:
    response = await api.http.get("/v1/runs", params={"id_prefix": "abcd"})
    assert response.status_code == 401


async def test_the_project_runs_of_one_pipeline_by_its_number(api: Api) -> None:
    await api.project("CI")
    await api.job("ci", "true", name="build")  # a stored job of the same name: not in pipelines
    stored = await api.start("ci", "build")
    first = await trigger(api, PIPELINE)
    second = await trigger(api, PIPELINE)
    for pipeline in (first, second):
        await wait_pipeline(api, pipeline["id"])
    await api.wait(stored["id"])

    async def runs_of(number: int) -> list[dict[str, Any]]:
        response = await api.get("/v1/projects/ci/runs", params={"pipeline": number})
        assert response.status_code == 200, response.text
        return list(response.json())

    [one] = await runs_of(1)
    [two] = await runs_of(2)
    assert one["pipeline"] == {"id": first["id"], "number": 1}
    assert two["pipeline"] == {"id": second["id"], "number": 2}
    assert one["job"]["name"] == two["job"]["name"] == "build"
    assert await runs_of(3) == []
    everything = (await api.get("/v1/projects/ci/runs")).json()
    assert len(everything) == 3
    params = {"pipeline": 1, "status": "error"}
    assert (await api.get("/v1/projects/ci/runs", params=params)).json() == []
    for bad in ("0", "x", str(2**31)):
        response = await api.get("/v1/projects/ci/runs", params={"pipeline": bad})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "pipeline"
