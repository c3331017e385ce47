"""Runs: the contract page's requests, variables, idempotency, lists, reading."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.api.conftest import Api, bearer

NO_RUNNER = pytest.mark.parametrize("settings_overrides", [{"runner_slots": 0}])


@pytest.fixture
async def job(api: Api) -> dict[str, Any]:
    await api.project("My Corp", machine_name="my-corp")
    variables = [
        {"name": "VAR1", "default": "one"},
        {"name": "VAR2"},
        {"name": "TOKEN", "secret": True},
    ]
    return await api.job(
        "my-corp", 'echo "$VAR1|$VAR2|${TOKEN:-}"', name="Backup prod", variables=variables
    )


async def test_contract_create_with_json_content_type_and_no_body(
    api: Api, job: dict[str, Any]
) -> None:
    headers = {**api.auth, "Accept": "application/json", "Content-type": "application/json"}
    response = await api.http.post("/v1/projects/my-corp/jobs/backup-prod/runs", headers=headers)
    assert response.status_code == 201
    run = response.json()
    assert uuid.UUID(run["id"])
    assert run["status"] == "queued"
    assert run["duration"] == 0
    assert isinstance(run["created"], int)
    assert run["changed"] == run["created"]
    assert run["job"] == {"id": job["id"], "machine_name": "backup-prod", "name": "Backup prod"}
    assert run["project"]["machine_name"] == "my-corp"
    assert run["created_by"]["username"] == "admin"
    for blank in ("started", "finished", "exit_code", "error_reason", "log"):
        assert run[blank] is None


async def test_contract_passing_variables_as_env(api: Api, job: dict[str, Any]) -> None:
    run = await api.start("my-corp", "backup-prod", env={"VAR1": "value1", "VAR2": "value two"})
    assert run["env"] == {"VAR1": "value1", "VAR2": "value two"}
    done = await api.wait(run["id"])
    assert done["status"] == "complete"
    assert done["log"] == "value1|value two|\n"


async def test_contract_job_status_moves_to_complete_with_log(
    api: Api, job: dict[str, Any]
) -> None:
    run = await api.start("my-corp", "backup-prod")
    path = f"/v1/projects/my-corp/jobs/backup-prod/runs/{run['id']}"
    done = await api.wait(run["id"])
    again = (await api.get(path)).json()
    assert again == done
    assert done["status"] == "complete"
    assert done["exit_code"] == 0
    assert done["error_reason"] is None
    assert done["log"] == "one||\n"
    assert done["log_truncated"] is False
    assert done["started"] >= done["created"]
    assert done["finished"] >= done["started"]
    assert done["changed"] == done["finished"]
    assert done["duration"] == 0


async def test_ids_and_machine_names_are_interchangeable(api: Api, job: dict[str, Any]) -> None:
    project_id = job["project"]["id"]
    run = await api.start(project_id, job["id"])
    for p in ("my-corp", project_id):
        for j in ("backup-prod", job["id"]):
            assert (await api.get(f"/v1/projects/{p}/jobs/{j}/runs/{run['id']}")).status_code == 200


async def test_a_run_under_the_wrong_job_or_project_is_404(api: Api, job: dict[str, Any]) -> None:
    await api.job("my-corp", "true", name="other")
    run = await api.start("my-corp", "backup-prod")
    assert (await api.get(f"/v1/projects/my-corp/jobs/other/runs/{run['id']}")).status_code == 404
    await api.project("Elsewhere")
    await api.job("elsewhere", "true", name="backup-prod")
    assert (
        await api.get(f"/v1/projects/elsewhere/jobs/backup-prod/runs/{run['id']}")
    ).status_code == 404
    assert (await api.get("/v1/runs/not-a-uuid")).status_code == 404
    assert (await api.get(f"/v1/runs/{uuid.uuid4()}")).status_code == 404


@pytest.mark.parametrize(
    ("env", "fields"),
    [
        ({"NOPE": "x"}, ["env.NOPE"]),
        ({"VAR1": 3}, ["env.VAR1"]),
        ({"VAR1": None}, ["env.VAR1"]),
        ({"VAR1": "a\u0000b"}, ["env.VAR1"]),
        ({"NOPE": "x", "ALSO": "y"}, ["env.NOPE", "env.ALSO"]),
    ],
)
async def test_bad_env_is_422_naming_each_variable(
    api: Api, job: dict[str, Any], env: dict[str, Any], fields: list[str]
) -> None:
    response = await api.post("/v1/projects/my-corp/jobs/backup-prod/runs", json={"env": env})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == fields
    assert (await api.get("/v1/projects/my-corp/runs")).json() == []


async def test_env_must_be_an_object_and_body_fields_are_checked(
    api: Api, job: dict[str, Any]
) -> None:
    path = "/v1/projects/my-corp/jobs/backup-prod/runs"
    response = await api.post(path, json={"env": ["VAR1"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "env"
    response = await api.post(path, json={"envv": {}})
    assert [e["field"] for e in response.json()["errors"]] == ["envv"]


async def test_required_variables(api: Api, job: dict[str, Any]) -> None:
    variables = [
        {"name": "TARGET", "required": True},
        {"name": "MODE", "required": True, "default": "fast"},
    ]
    await api.job("my-corp", 'echo "$TARGET $MODE"', name="deploy", variables=variables)
    path = "/v1/projects/my-corp/jobs/deploy/runs"
    missing = await api.post(path)
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"field": "env.TARGET", "message": "TARGET is required"}]
    empty = await api.post(path, json={"env": {"TARGET": ""}})
    assert empty.status_code == 422
    assert "must not be empty" in empty.json()["errors"][0]["message"]
    run = await api.start("my-corp", "deploy", env={"TARGET": "prod"})
    assert (await api.wait(run["id"]))["log"] == "prod fast\n"


async def test_secret_values_are_masked_in_responses(api: Api, job: dict[str, Any]) -> None:
    run = await api.start("my-corp", "backup-prod", env={"TOKEN": "s3cr3t"})
    assert run["env"] == {"TOKEN": "***"}
    done = await api.wait(run["id"])
    assert done["env"] == {"TOKEN": "***"}
    assert "s3cr3t" not in str((await api.get("/v1/projects/my-corp/runs")).json())


async def test_idempotency_key_returns_the_first_run(api: Api, job: dict[str, Any]) -> None:
    path = "/v1/projects/my-corp/jobs/backup-prod/runs"
    headers = {**api.auth, "Idempotency-Key": "deploy-42"}
    first = await api.post(path, headers=headers, json={"env": {"VAR1": "x"}})
    second = await api.post(path, headers=headers, json={"env": {"VAR1": "x"}})
    assert first.status_code == second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    by_query = await api.post(
        path, params={"request_token": "deploy-42"}, json={"env": {"VAR1": "x"}}
    )
    assert by_query.json()["id"] == first.json()["id"]
    assert len((await api.get("/v1/projects/my-corp/runs")).json()) == 1


async def test_idempotency_key_reused_with_other_env_is_422(api: Api, job: dict[str, Any]) -> None:
    path = "/v1/projects/my-corp/jobs/backup-prod/runs"
    headers = {**api.auth, "Idempotency-Key": "k"}
    await api.post(path, headers=headers, json={"env": {"VAR1": "x"}})
    response = await api.post(path, headers=headers, json={"env": {"VAR1": "y"}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_idempotency_keys_are_per_job(api: Api, job: dict[str, Any]) -> None:
    await api.job("my-corp", "true", name="other")
    headers = {**api.auth, "Idempotency-Key": "same"}
    a = await api.post("/v1/projects/my-corp/jobs/backup-prod/runs", headers=headers)
    b = await api.post("/v1/projects/my-corp/jobs/other/runs", headers=headers)
    assert a.json()["id"] != b.json()["id"]


async def test_a_failing_script_ends_error_failed_with_its_exit_code(
    api: Api, job: dict[str, Any]
) -> None:
    await api.job("my-corp", "echo before; exit 3", name="fails")
    run = await api.wait((await api.start("my-corp", "fails"))["id"])
    assert run["status"] == "error"
    assert run["error_reason"] == "failed"
    assert run["exit_code"] == 3
    assert run["log"] == "before\n"


async def test_scripts_stop_at_the_first_failing_command(api: Api, job: dict[str, Any]) -> None:
    await api.job("my-corp", "false | true\necho not reached", name="pipefail")
    run = await api.wait((await api.start("my-corp", "pipefail"))["id"])
    assert run["status"] == "error"
    assert run["log"] is None


async def test_status_passes_through_running(api: Api, job: dict[str, Any]) -> None:
    await api.job("my-corp", "sleep 1", name="slow")
    run = await api.start("my-corp", "slow")
    running = await api.wait(run["id"], until=("running",))
    assert running["started"] is not None
    assert running["finished"] is None
    assert running["changed"] >= running["created"]
    done = await api.wait(run["id"])
    assert done["status"] == "complete"
    assert done["duration"] in (1, 2)


async def test_lists_are_newest_first_with_filters_and_links(api: Api, job: dict[str, Any]) -> None:
    await api.job("my-corp", "exit 1", name="bad")
    ok = [await api.start("my-corp", "backup-prod") for _ in range(3)]
    bad = await api.start("my-corp", "bad")
    for run in [*ok, bad]:
        await api.wait(run["id"])
    everything = (await api.get("/v1/projects/my-corp/runs")).json()
    assert [r["id"] for r in everything] == [bad["id"], *(r["id"] for r in reversed(ok))]
    assert all(r["log"] is None for r in everything)
    errors = (await api.get("/v1/projects/my-corp/runs", params={"status": "error"})).json()
    assert [r["id"] for r in errors] == [bad["id"]]
    of_job = (await api.get("/v1/projects/my-corp/runs", params={"job": "backup-prod"})).json()
    assert len(of_job) == 3
    job_runs = await api.get("/v1/projects/my-corp/jobs/backup-prod/runs", params={"per_page": 2})
    assert [r["id"] for r in job_runs.json()] == [ok[2]["id"], ok[1]["id"]]
    assert re.search(r'<[^>]*page=2&per_page=2>; rel="next"', job_runs.headers["Link"])
    response = await api.get("/v1/projects/my-corp/runs", params={"status": "done"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"
    assert (await api.get("/v1/projects/my-corp/runs", params={"job": "nope"})).status_code == 404


async def test_runs_are_seen_only_by_project_members(api: Api, job: dict[str, Any]) -> None:
    run = await api.start("my-corp", "backup-prod")
    bob = await api.user("bob")
    assert (await api.get(f"/v1/runs/{run['id']}", headers=bearer(bob))).status_code == 404
    response = await api.post("/v1/projects/my-corp/jobs/backup-prod/runs", headers=bearer(bob))
    assert response.status_code == 404
    await api.grant(job["project"]["id"], bob, "read")
    assert (await api.get(f"/v1/runs/{run['id']}", headers=bearer(bob))).status_code == 200
    response = await api.post("/v1/projects/my-corp/jobs/backup-prod/runs", headers=bearer(bob))
    assert response.status_code == 403
    assert (await api.post(f"/v1/runs/{run['id']}/cancel", headers=bearer(bob))).status_code in (
        403,
        409,
    )


async def test_write_members_start_runs(api: Api, job: dict[str, Any]) -> None:
    bob = await api.user("bob")
    await api.grant(job["project"]["id"], bob, "write")
    response = await api.post("/v1/projects/my-corp/jobs/backup-prod/runs", headers=bearer(bob))
    assert response.status_code == 201
    assert response.json()["created_by"]["username"] == "bob"


async def test_legacy_run_path_of_old_js_clients(api: Api, job: dict[str, Any]) -> None:
    run = await api.start("my-corp", "backup-prod")
    response = await api.get(f"/v1/projects/my-corp/backup-prod/run/{run['id']}")
    assert response.status_code == 200
    assert response.json()["id"] == run["id"]


@NO_RUNNER
async def test_queued_runs_wait_for_a_runner(api: Api, job: dict[str, Any]) -> None:
    run = await api.start("my-corp", "backup-prod")
    assert (await api.get(f"/v1/runs/{run['id']}")).json()["status"] == "queued"


async def test_the_fast_run_json_has_exactly_the_documented_shape(
    api: Api, job: dict[str, Any]
) -> None:
    from ishcd.api.schemas.runs import RunOut

    run = await api.start("my-corp", "backup-prod", env={"TOKEN": "x", "VAR2": "two"})
    for body in (run, await api.wait(run["id"])):
        assert RunOut.model_validate(body).model_dump(mode="json") == body
