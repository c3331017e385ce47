"""Projects: create, read, list, change, delete; machine names; visibility."""

from __future__ import annotations

import pytest

from tests import stored_logs
from tests.api.conftest import Api, bearer


async def test_create_generates_machine_name_from_name(api: Api) -> None:
    response = await api.post("/v1/projects", json={"name": "My Corp!"})
    assert response.status_code == 201
    body = response.json()
    assert body["machine_name"] == "my-corp"
    assert body["name"] == "My Corp!"
    assert body["description"] is None
    assert isinstance(body["created"], int)
    assert body["changed"] == body["created"]


async def test_generated_machine_names_never_collide(api: Api) -> None:
    first = await api.project("Ops")
    second = await api.project("ops")
    assert first["machine_name"] == "ops"
    assert second["machine_name"] == "ops-2"


async def test_explicit_machine_name_taken_is_a_conflict(api: Api) -> None:
    await api.project("A", machine_name="shared")
    response = await api.post("/v1/projects", json={"name": "B", "machine_name": "shared"})
    assert response.status_code == 409
    assert "shared" in response.json()["message"]


@pytest.mark.parametrize(
    "machine_name",
    ["Has Caps", "-leading", "trailing-", "a" * 65, "3abed1d7-68ec-4151-ae87-edcc918315b4", ""],
)
async def test_bad_machine_names_are_refused_naming_the_field(api: Api, machine_name: str) -> None:
    response = await api.post("/v1/projects", json={"name": "x", "machine_name": machine_name})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["machine_name"]


async def test_missing_name_and_unknown_fields_are_422_naming_them(api: Api) -> None:
    response = await api.post("/v1/projects", json={"title": "x"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "title"}


async def test_malformed_json_is_400(api: Api) -> None:
    headers = {**api.auth, "Content-Type": "application/json"}
    response = await api.http.post("/v1/projects", content=b"{not json", headers=headers)
    assert response.status_code == 400
    assert response.json() == {"message": "the request body is not valid JSON", "errors": []}


async def test_read_by_id_or_machine_name(api: Api) -> None:
    project = await api.project("Ops")
    by_id = (await api.get(f"/v1/projects/{project['id']}")).json()
    by_name = (await api.get("/v1/projects/ops")).json()
    assert by_id == by_name == project


async def test_missing_project_is_404_with_error_shape(api: Api) -> None:
    response = await api.get("/v1/projects/nope")
    assert response.status_code == 404
    assert response.json() == {"message": "project 'nope' not found", "errors": []}


async def test_patch_renames_and_the_old_machine_name_is_gone(api: Api) -> None:
    project = await api.project("Ops")
    response = await api.patch("/v1/projects/ops", json={"machine_name": "ops-team"})
    assert response.status_code == 200
    assert response.json()["machine_name"] == "ops-team"
    assert response.json()["id"] == project["id"]
    assert (await api.get("/v1/projects/ops")).status_code == 404
    assert (await api.get("/v1/projects/ops-team")).status_code == 200


async def test_patch_to_a_taken_machine_name_is_409(api: Api) -> None:
    await api.project("A")
    await api.project("B")
    response = await api.patch("/v1/projects/a", json={"machine_name": "b"})
    assert response.status_code == 409


async def test_patch_null_name_is_422(api: Api) -> None:
    await api.project("A")
    response = await api.patch("/v1/projects/a", json={"name": None})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"


async def test_patch_updates_changed_and_description(api: Api) -> None:
    await api.project("A")
    response = await api.patch("/v1/projects/a", json={"description": "hello"})
    assert response.json()["description"] == "hello"
    response = await api.patch("/v1/projects/a", json={"description": None})
    assert response.json()["description"] is None


async def test_delete_removes_project_jobs_and_runs(api: Api) -> None:
    await api.project("A")
    await api.job("a", "echo hi", name="j")
    run = await api.start("a", "j")
    await api.wait(run["id"])
    assert (await api.delete("/v1/projects/a")).status_code == 204
    assert (await api.get("/v1/projects/a")).status_code == 404
    assert (await api.get(f"/v1/runs/{run['id']}")).status_code == 404
    assert not await stored_logs.holds(api.server, run["id"])


async def test_delete_with_an_active_run_is_409_and_keeps_everything(api: Api) -> None:
    await api.project("A")
    await api.job("a", "sleep 30", name="j")
    run = await api.start("a", "j")
    response = await api.delete("/v1/projects/a")
    assert response.status_code == 409
    assert "cancel" in response.json()["message"]
    assert (await api.get(f"/v1/runs/{run['id']}")).status_code == 200
    await api.post(f"/v1/runs/{run['id']}/cancel")


async def test_list_is_an_array_by_machine_name_with_link_header(api: Api) -> None:
    for name in ("c", "a", "b"):
        await api.project(name)
    response = await api.get("/v1/projects", params={"per_page": 2})
    assert [p["machine_name"] for p in response.json()] == ["a", "b"]
    link = response.headers["Link"]
    assert 'page=1&per_page=2>; rel="first"' in link
    assert 'page=2&per_page=2>; rel="next"' in link
    assert 'rel="prev"' not in link
    response = await api.get("/v1/projects", params={"per_page": 2, "page": 2})
    assert [p["machine_name"] for p in response.json()] == ["c"]
    assert 'rel="prev"' in response.headers["Link"]
    assert 'rel="next"' not in response.headers["Link"]


@pytest.mark.parametrize(("param", "value"), [("per_page", 101), ("per_page", 0), ("page", 0)])
async def test_bad_pagination_is_422_naming_the_parameter(api: Api, param: str, value: int) -> None:
    response = await api.get("/v1/projects", params={param: value})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == param


async def test_other_users_see_only_their_projects_and_404_elsewhere(api: Api) -> None:
    await api.project("Secret")
    bob = await api.user("bob")
    assert (await api.get("/v1/projects", headers=bearer(bob))).json() == []
    for method, path in [
        ("GET", "/v1/projects/secret"),
        ("PATCH", "/v1/projects/secret"),
        ("DELETE", "/v1/projects/secret"),
        ("GET", "/v1/projects/secret/jobs"),
        ("GET", "/v1/projects/secret/runs"),
    ]:
        response = await api.http.request(method, path, headers=bearer(bob), json={})
        assert response.status_code == 404, (method, path)
        assert response.json()["message"] == "project 'secret' not found"


async def test_bob_creates_his_own_project_and_becomes_its_admin(api: Api) -> None:
    bob = await api.user("bob")
    response = await api.post("/v1/projects", json={"name": "Bobs"}, headers=bearer(bob))
    assert response.status_code == 201
    assert (
        await api.patch("/v1/projects/bobs", json={"name": "B"}, headers=bearer(bob))
    ).status_code == 200
    # The site admin sees every project.
    assert [p["machine_name"] for p in (await api.get("/v1/projects")).json()] == ["bobs"]


async def test_a_read_member_may_see_but_not_change(api: Api) -> None:
    project = await api.project("Ops")
    bob = await api.user("bob")
    await api.grant(project["id"], bob, "read")
    assert (await api.get("/v1/projects/ops", headers=bearer(bob))).status_code == 200
    response = await api.patch("/v1/projects/ops", json={"name": "x"}, headers=bearer(bob))
    assert response.status_code == 403
    assert "read" in response.json()["message"]
    assert (await api.delete("/v1/projects/ops", headers=bearer(bob))).status_code == 403
