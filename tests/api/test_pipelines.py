"""Pipelines from an inline config: DAGs run as runs, failures, parameters, approvals."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from ishcd.services import dispatch
from tests.api.conftest import Api, bearer

FINISHED = ("complete", "error")


@pytest.fixture
async def project(api: Api) -> dict[str, Any]:
    return await api.project("CI")


async def trigger(api: Api, config: str, **body: Any) -> dict[str, Any]:
    response = await api.post("/v1/projects/ci/pipelines", json={"config": config, **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def wait_pipeline(
    api: Api, pipeline_id: str, until: tuple[str, ...] = FINISHED, timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        pipeline = (await api.get(f"/v1/pipelines/{pipeline_id}")).json()
        if pipeline["status"] in until:
            return dict(pipeline)
        if time.monotonic() > deadline:
            raise AssertionError(f"pipeline still {pipeline['status']}: {pipeline}")
        await asyncio.sleep(0.03)


async def workflow_of(api: Api, pipeline_id: str, index: int = 0) -> dict[str, Any]:
    return dict((await api.get(f"/v1/pipelines/{pipeline_id}/workflows")).json()[index])


async def jobs_of(api: Api, workflow_id: str) -> dict[str, dict[str, Any]]:
    return {j["name"]: j for j in (await api.get(f"/v1/workflows/{workflow_id}/jobs")).json()}


def dag_config(log: Path, fail: str = "") -> str:
    def job(name: str) -> str:
        failing = "; exit 3" if name == fail else ""
        return f"  {name}:\n    steps:\n      - run: echo {name} >> {log}{failing}\n"

    return (
        "version: 1\njobs:\n"
        + job("build")
        + "  test:\n    steps:\n      - run: echo test-<< matrix.py >> >> "
        + str(log)
        + "\n"
        + job("deploy")
        + "workflows:\n  main:\n    jobs:\n      - build\n"
        "      - test:\n          requires: [build]\n"
        "          matrix: {parameters: {py: ['3.11', '3.12']}}\n"
        "      - deploy: {requires: [test]}\n"
    )


async def test_trigger_answers_with_the_new_pipeline(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    first = await trigger(api, dag_config(tmp_path / "log"))
    assert set(first) == {"id", "number", "status", "created"}
    assert first["number"] == 1
    second = await trigger(api, dag_config(tmp_path / "log"))
    assert second["number"] == 2


async def test_a_dag_runs_in_order_as_runs(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    log = tmp_path / "log"
    created = await trigger(api, dag_config(log))
    pipeline = await wait_pipeline(api, created["id"])
    assert pipeline["status"] == "complete"
    assert pipeline["trigger"]["type"] == "api"
    assert pipeline["trigger"]["actor"]["username"] == "admin"
    order = log.read_text().split()
    assert order[0] == "build"
    assert sorted(order[1:3]) == ["test-3.11", "test-3.12"]
    assert order[3] == "deploy"
    workflow = await workflow_of(api, created["id"])
    assert workflow["status"] == "complete"
    jobs = await jobs_of(api, workflow["id"])
    assert list(jobs) == ["build", "test-py3.11", "test-py3.12", "deploy"]
    assert jobs["deploy"]["requires"] == ["test-py3.11", "test-py3.12"]
    assert jobs["test-py3.11"]["matrix"] == {"py": "3.11"}
    for job in jobs.values():
        assert job["status"] == "complete"
        run = (await api.get(f"/v1/runs/{job['run_id']}")).json()
        assert run["status"] == "complete"
        assert run["pipeline"] == {"id": created["id"], "number": 1}
        assert run["workflow"] == {"id": workflow["id"], "name": "main"}
        assert run["job"]["name"] == job["name"]
    listed = (await api.get("/v1/projects/ci/runs")).json()
    assert {r["id"] for r in listed} == {j["run_id"] for j in jobs.values()}


async def test_a_failed_job_stops_what_requires_it(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    log = tmp_path / "log"
    created = await trigger(api, dag_config(log, fail="build"))
    pipeline = await wait_pipeline(api, created["id"])
    assert pipeline["status"] == "error"
    assert pipeline["error_reason"] == "failed"
    jobs = await jobs_of(api, (await workflow_of(api, created["id"]))["id"])
    assert jobs["build"]["status"] == "error"
    assert jobs["build"]["error_reason"] == "failed"
    for name in ("test-py3.11", "test-py3.12", "deploy"):
        assert jobs[name]["status"] == "error"
        assert jobs[name]["error_reason"] == "dependency_failed"
        assert jobs[name]["run_id"] is None
    assert "build" in jobs["test-py3.11"]["message"]
    assert log.read_text().split() == ["build"]


async def test_a_config_error_makes_an_error_pipeline_not_a_failure(
    api: Api, project: dict[str, Any]
) -> None:
    config = (
        "version: 1\njobs:\n  a:\n    steps: [{run: x}]\n"
        "workflows:\n  w:\n    jobs:\n      - a: {requires: [nope]}\n"
    )
    created = await trigger(api, config)
    pipeline = (await api.get(f"/v1/pipelines/{created['id']}")).json()
    assert pipeline["status"] == "error"
    assert pipeline["error_reason"] == "config_error"
    [error] = pipeline["errors"]
    assert error["line"] == 8
    assert "nope" in error["message"]
    assert (await api.get(f"/v1/pipelines/{created['id']}/workflows")).json() == []


PARAMS = """\
version: 1
parameters:
  target: {type: enum, values: [staging, production], default: staging}
  shards: {type: integer, default: 2}
  loud: {type: boolean, default: false}
jobs:
  show:
    steps:
      - run: >-
          echo "<< pipeline.parameters.target >> << pipeline.parameters.shards >>
          << pipeline.parameters.loud >> #<< pipeline.number >>"
workflows:
  main: {jobs: [show]}
"""


async def test_parameters_reach_the_steps(api: Api, project: dict[str, Any]) -> None:
    created = await trigger(
        api, PARAMS, parameters={"target": "production", "shards": "4", "loud": True}
    )
    await wait_pipeline(api, created["id"])
    jobs = await jobs_of(api, (await workflow_of(api, created["id"]))["id"])
    run = (await api.get(f"/v1/runs/{jobs['show']['run_id']}")).json()
    assert run["log"].endswith("production 4 true #1\n")
    pipeline = (await api.get(f"/v1/pipelines/{created['id']}")).json()
    assert pipeline["parameters"] == {"target": "production", "shards": 4, "loud": True}


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"target": "moon"}, "parameters.target"),
        ({"shards": "many"}, "parameters.shards"),
        ({"nope": 1}, "parameters.nope"),
        ({"loud": "perhaps"}, "parameters.loud"),
    ],
)
async def test_bad_parameters_are_422_naming_them(
    api: Api, project: dict[str, Any], parameters: dict[str, Any], field: str
) -> None:
    response = await api.post(
        "/v1/projects/ci/pipelines", json={"config": PARAMS, "parameters": parameters}
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert (await api.get("/v1/projects/ci/pipelines")).json() == []


APPROVAL = """\
version: 1
jobs:
  build: {steps: [{run: echo built}]}
  hold: {type: approval}
  deploy: {steps: [{run: echo deployed}]}
workflows:
  main:
    jobs: [build, {hold: {requires: [build]}}, {deploy: {requires: [hold]}}]
"""


async def test_an_approval_holds_the_workflow_until_approved(
    api: Api, project: dict[str, Any]
) -> None:
    created = await trigger(api, APPROVAL)
    pipeline = await wait_pipeline(api, created["id"], until=("on_hold",))
    workflow = await workflow_of(api, created["id"])
    assert workflow["status"] == "on_hold"
    jobs = await jobs_of(api, workflow["id"])
    assert jobs["hold"]["status"] == "on_hold"
    assert jobs["deploy"]["status"] == "queued"
    assert jobs["deploy"]["run_id"] is None
    wrong = await api.post(f"/v1/workflows/{workflow['id']}/approve/build")
    assert wrong.status_code == 409
    approved = await api.post(f"/v1/workflows/{workflow['id']}/approve/hold")
    assert approved.status_code == 200
    pipeline = await wait_pipeline(api, created["id"])
    assert pipeline["status"] == "complete"
    jobs = await jobs_of(api, workflow["id"])
    assert jobs["hold"]["message"] == "approved by admin"
    again = await api.post(f"/v1/workflows/{workflow['id']}/approve/hold")
    assert again.status_code == 409
    assert (await api.post(f"/v1/workflows/{workflow['id']}/approve/nope")).status_code == 404


async def test_rerun_from_failed_with_a_request_token(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    flag = tmp_path / "fixed"
    config = (
        "version: 1\njobs:\n  build: {steps: [{run: echo built}]}\n"
        f"  flaky: {{steps: [{{run: 'test -e {flag}'}}]}}\n"
        "workflows:\n  main: {jobs: [build, {flaky: {requires: [build]}}]}\n"
    )
    created = await trigger(api, config)
    assert (await wait_pipeline(api, created["id"]))["status"] == "error"
    original = await workflow_of(api, created["id"])
    first_jobs = await jobs_of(api, original["id"])
    flag.touch()
    path = f"/v1/workflows/{original['id']}/rerun"
    one = await api.post(path, params={"request_token": "retry-1"}, json={"from_failed": True})
    two = await api.post(path, params={"request_token": "retry-1"}, json={"from_failed": True})
    assert one.status_code == two.status_code == 201
    assert one.json()["workflow_id"] == two.json()["workflow_id"]
    assert two.headers["Idempotent-Replayed"] == "true"
    pipeline = await wait_pipeline(api, created["id"])
    assert pipeline["status"] == "complete"
    workflows = (await api.get(f"/v1/pipelines/{created['id']}/workflows")).json()
    assert len(workflows) == 2
    assert workflows[1]["rerun_of"] == original["id"]
    rerun_jobs = await jobs_of(api, one.json()["workflow_id"])
    assert rerun_jobs["build"]["run_id"] == first_jobs["build"]["run_id"]  # not run again
    assert rerun_jobs["flaky"]["run_id"] != first_jobs["flaky"]["run_id"]
    assert rerun_jobs["flaky"]["status"] == "complete"
    header = await api.post(
        path, headers={**api.auth, "Idempotency-Key": "retry-1"}, json={"from_failed": True}
    )
    assert header.json() == one.json()  # the header is the same key
    named = await api.post(
        path, headers={**api.auth, "Idempotency-Key": "build-again"}, json={"jobs": ["build"]}
    )
    assert named.status_code == 201
    await wait_pipeline(api, created["id"])
    again = await jobs_of(api, named.json()["workflow_id"])
    assert again["build"]["run_id"] not in (None, first_jobs["build"]["run_id"])
    assert again["flaky"]["run_id"] not in (None, rerun_jobs["flaky"]["run_id"])  # requires build
    assert len((await api.get(f"/v1/pipelines/{created['id']}/workflows")).json()) == 3


async def test_rerun_needs_a_finished_workflow_and_known_jobs(
    api: Api, project: dict[str, Any]
) -> None:
    created = await trigger(api, APPROVAL)
    await wait_pipeline(api, created["id"], until=("on_hold",))
    workflow = await workflow_of(api, created["id"])
    assert (await api.post(f"/v1/workflows/{workflow['id']}/rerun")).status_code == 409
    await api.post(f"/v1/workflows/{workflow['id']}/cancel")
    bad = await api.post(f"/v1/workflows/{workflow['id']}/rerun", json={"jobs": ["nope"]})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "jobs[0]"


async def test_cancel_a_workflow_stops_its_runs(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    config = (
        "version: 1\njobs:\n"
        f"  slow: {{steps: [{{run: 'sleep 300 & echo $! > {pids}; wait'}}]}}\n"
        "  after: {steps: [{run: echo never}]}\n"
        "workflows:\n  main: {jobs: [slow, {after: {requires: [slow]}}]}\n"
    )
    created = await trigger(api, config)
    for _ in range(500):
        if pids.exists() and pids.read_text().strip():
            break
        await asyncio.sleep(0.02)
    child = int(pids.read_text())
    stopped = await api.post(f"/v1/pipelines/{created['id']}/stop")
    assert stopped.status_code == 200
    pipeline = await wait_pipeline(api, created["id"])
    assert pipeline["status"] == "error"
    assert pipeline["error_reason"] == "canceled"
    jobs = await jobs_of(api, (await workflow_of(api, created["id"]))["id"])
    assert jobs["slow"]["error_reason"] == "canceled"
    assert jobs["after"]["error_reason"] == "canceled"
    for _ in range(100):
        if not Path(f"/proc/{child}").exists():
            break
        await asyncio.sleep(0.02)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text()
    assert (await api.post(f"/v1/pipelines/{created['id']}/stop")).status_code == 409


async def test_a_retried_job_gets_another_attempt(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    counter = tmp_path / "attempts"
    config = (
        "version: 1\njobs:\n"
        f"  flaky:\n    retry: 2\n    steps:\n"
        f"      - run: echo x >> {counter}; test $(wc -l < {counter}) -ge 2\n"
        "workflows:\n  main: {jobs: [flaky]}\n"
    )
    created = await trigger(api, config)
    assert (await wait_pipeline(api, created["id"]))["status"] == "complete"
    jobs = await jobs_of(api, (await workflow_of(api, created["id"]))["id"])
    assert jobs["flaky"]["attempt"] == 2
    assert counter.read_text().count("x") == 2


async def test_only_lost_retries_do_not_retry_failures(api: Api, project: dict[str, Any]) -> None:
    config = (
        "version: 1\njobs:\n  fails:\n    retry: {count: 3, only_lost: true}\n"
        "    steps: [{run: 'exit 1'}]\nworkflows:\n  main: {jobs: [fails]}\n"
    )
    created = await trigger(api, config)
    assert (await wait_pipeline(api, created["id"]))["status"] == "error"
    jobs = await jobs_of(api, (await workflow_of(api, created["id"]))["id"])
    assert jobs["fails"]["attempt"] == 1


async def test_labels_choose_the_runner(api: Api, project: dict[str, Any]) -> None:
    config = (
        "version: 1\njobs:\n  here: {labels: [local], steps: [{run: 'true'}]}\n"
        "  gpu: {labels: [gpu], steps: [{run: 'true'}]}\n"
        "workflows:\n  main: {jobs: [here, gpu]}\n"
    )
    created = await trigger(api, config)
    workflow = await workflow_of(api, created["id"])
    for _ in range(300):
        jobs = await jobs_of(api, workflow["id"])
        if jobs["here"]["status"] == "complete":
            break
        await asyncio.sleep(0.02)
    assert jobs["here"]["status"] == "complete"
    assert jobs["gpu"]["status"] == "queued"  # no runner here has the label gpu
    assert (await api.get(f"/v1/runs/{jobs['gpu']['run_id']}")).json()["status"] == "queued"
    await api.post(f"/v1/pipelines/{created['id']}/stop")


async def test_a_concurrency_group_serializes_two_pipelines(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    config = (
        "version: 1\njobs:\n  deploy:\n    concurrency: production\n"
        f"    steps:\n      - run: echo start >> {marks}; sleep 0.5; echo end >> {marks}\n"
        "workflows:\n  main: {jobs: [deploy]}\n"
    )
    first = await trigger(api, config)
    second = await trigger(api, config)
    await wait_pipeline(api, first["id"])
    await wait_pipeline(api, second["id"])
    assert marks.read_text().split() == ["start", "end", "start", "end"]


async def test_branch_filters_leave_jobs_out(api: Api, project: dict[str, Any]) -> None:
    config = (
        "version: 1\njobs:\n  build: {steps: [{run: 'true'}]}\n  deploy: {steps: [{run: 'true'}]}\n"
        "workflows:\n  main:\n    jobs:\n      - build\n"
        "      - deploy: {requires: [build], filters: {branches: {only: main}}}\n"
    )
    on_dev = await trigger(api, config, branch="dev")
    await wait_pipeline(api, on_dev["id"])
    assert list(await jobs_of(api, (await workflow_of(api, on_dev["id"]))["id"])) == ["build"]
    on_main = await trigger(api, config, branch="main")
    await wait_pipeline(api, on_main["id"])
    assert list(await jobs_of(api, (await workflow_of(api, on_main["id"]))["id"])) == [
        "build",
        "deploy",
    ]


async def test_config_and_lists(api: Api, project: dict[str, Any], tmp_path: Path) -> None:
    created = await trigger(api, APPROVAL, branch="feature")
    config = (await api.get(f"/v1/pipelines/{created['id']}/config")).json()
    assert config["source"] == APPROVAL
    assert config["file"] == "(inline)"
    assert [j["name"] for j in config["compiled"]["workflows"][0]["jobs"]] == [
        "build",
        "hold",
        "deploy",
    ]
    by_number = (await api.get("/v1/projects/ci/pipelines/1")).json()
    assert by_number["id"] == created["id"]
    assert (await api.get("/v1/projects/ci/pipelines/99")).status_code == 404
    await trigger(api, dag_config(tmp_path / "log"), branch="main")
    feature = (await api.get("/v1/projects/ci/pipelines", params={"branch": "feature"})).json()
    assert [p["number"] for p in feature] == [1]
    everything = (await api.get("/v1/projects/ci/pipelines")).json()
    assert [p["number"] for p in everything] == [2, 1]
    bob = await api.user("bob")
    await api.grant(project["id"], bob, "write")
    await api.http.post("/v1/projects/ci/pipelines", json={"config": APPROVAL}, headers=bearer(bob))
    mine = (
        await api.http.get("/v1/projects/ci/pipelines", params={"mine": True}, headers=bearer(bob))
    ).json()
    assert [p["number"] for p in mine] == [3]


async def test_without_a_repository_the_config_is_required(
    api: Api, project: dict[str, Any]
) -> None:
    response = await api.post("/v1/projects/ci/pipelines", json={})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "config"


async def test_readers_may_look_but_not_trigger(api: Api, project: dict[str, Any]) -> None:
    created = await trigger(api, APPROVAL)
    bob = await api.user("bob")
    assert (
        await api.http.get(f"/v1/pipelines/{created['id']}", headers=bearer(bob))
    ).status_code == 404
    await api.grant(project["id"], bob, "read")
    assert (
        await api.http.get(f"/v1/pipelines/{created['id']}", headers=bearer(bob))
    ).status_code == 200
    response = await api.http.post(
        "/v1/projects/ci/pipelines", json={"config": APPROVAL}, headers=bearer(bob)
    )
    assert response.status_code == 403


async def test_a_job_whose_runner_was_lost_is_retried_when_only_lost(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    started = tmp_path / "started"
    config = (
        "version: 1\njobs:\n  deploy:\n    retry: {count: 1, only_lost: true}\n"
        f"    steps: [{{run: 'echo x >> {started}; test -s {started} && sleep 0.2 || sleep 30'}}]\n"
        "workflows:\n  main: {jobs: [deploy]}\n"
    )
    created = await trigger(api, config)
    workflow = await workflow_of(api, created["id"])
    first = (await jobs_of(api, workflow["id"]))["deploy"]["run_id"]
    await api.wait(first, until=("running",))
    async with api.server.database.transaction() as conn:  # what the reaper does
        assert await dispatch.give_up_runs(conn, api.server.runtime, [first]) == {first: "ended"}
    assert (await wait_pipeline(api, created["id"]))["status"] == "complete"
    job = (await jobs_of(api, workflow["id"]))["deploy"]
    assert job["attempt"] == 2
    assert job["run_id"] != first
    assert "attempt 1 ended runner_lost" in job["message"]
    lost = (await api.get(f"/v1/runs/{first}")).json()
    assert (lost["status"], lost["error_reason"]) == ("error", "runner_lost")


@pytest.mark.parametrize("settings_overrides", [{"default_job_timeout": 1}])
async def test_jobs_without_a_timeout_get_the_server_s_default(
    api: Api, project: dict[str, Any]
) -> None:
    config = (
        "version: 1\njobs:\n  slow: {steps: [{run: sleep 30}]}\n"
        "  quick: {timeout: 20, steps: [{run: '# nothing to do yet'}, {run: echo done}]}\n"
        "workflows:\n  main: {jobs: [slow, quick]}\n"
    )
    created = await trigger(api, config)
    pipeline = await wait_pipeline(api, created["id"])
    assert pipeline["status"] == "error"
    jobs = await jobs_of(api, (await workflow_of(api, created["id"]))["id"])
    assert jobs["slow"]["error_reason"] == "timed_out"
    assert jobs["quick"]["status"] == "complete"  # a comment-only step is a step doing nothing
    quick = (await api.get(f"/v1/runs/{jobs['quick']['run_id']}")).json()
    assert quick["log"].endswith("[ishcd] step 2/2: echo done\ndone\n")


FILTERED = """\
version: 1
jobs:
  release: {steps: [{run: echo release}]}
workflows:
  main:
    jobs: [{release: {filters: {tags: {only: /v.*/}, branches: {ignore: /.*/}}}}]
promotions:
  - {name: deploy, pipeline_file: deploy.yml, auto_promote: {when: {branch: main}}}
"""


async def test_a_pipeline_that_ran_nothing_completes_and_promotes_nothing(
    api: Api, project: dict[str, Any]
) -> None:
    created = await trigger(api, FILTERED, branch="main")
    pipeline = await wait_pipeline(api, created["id"])
    assert pipeline["status"] == "complete"
    assert (await api.get(f"/v1/pipelines/{created['id']}/workflows")).json() == []
    assert (await api.get(f"/v1/pipelines/{created['id']}/promotions")).json() == []


async def test_jobs_ending_together_still_settle_their_workflow(
    api: Api, project: dict[str, Any]
) -> None:
    # Two runs of one workflow ending in concurrent transactions must not each see
    # the other still running (PostgreSQL's read committed): the pipeline is locked.
    config = (
        "version: 1\njobs:\n  a: {steps: [{run: 'exit 1'}]}\n  b: {steps: [{run: 'exit 1'}]}\n"
        "  c: {steps: [{run: 'true'}]}\n"
        "workflows:\n  main: {jobs: [a, b, {c: {requires: [a, b]}}]}\n"
    )
    created = [await trigger(api, config) for _ in range(8)]
    for pipeline in created:
        done = await wait_pipeline(api, pipeline["id"])
        assert (done["status"], done["error_reason"]) == ("error", "failed")
