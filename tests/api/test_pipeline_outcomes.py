"""What a pipeline says it ran with (its parameters) and why its workflows ended."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_pipelines import PARAMS, jobs_of, trigger, wait_pipeline, workflow_of


@pytest.fixture
async def project(api: Api) -> dict[str, Any]:
    return await api.project("CI")


async def test_parameters_show_the_values_the_pipeline_ran_with(
    api: Api, project: dict[str, Any]
) -> None:
    created = await trigger(api, PARAMS, parameters={"shards": "4"})
    pipeline = await wait_pipeline(api, created["id"])
    assert pipeline["status"] == "complete"
    # The one given (read as the integer it is), and the two left at their defaults.
    ran_with = {"target": "staging", "shards": 4, "loud": False}
    assert pipeline["parameters"] == ran_with
    listed = (await api.get("/v1/projects/ci/pipelines")).json()
    assert [p["parameters"] for p in listed] == [ran_with]
    by_number = (await api.get(f"/v1/projects/ci/pipelines/{created['number']}")).json()
    assert by_number["parameters"] == ran_with
    jobs = await jobs_of(api, (await workflow_of(api, created["id"]))["id"])
    run = (await api.get(f"/v1/runs/{jobs['show']['run_id']}")).json()
    assert run["log"].endswith("staging 4 false #1\n")  # what the job saw, too
    untouched = await trigger(api, PARAMS)
    assert (await api.get(f"/v1/pipelines/{untouched['id']}")).json()["parameters"] == {
        "target": "staging",
        "shards": 2,
        "loud": False,
    }


async def test_a_pipeline_that_did_not_compile_keeps_the_parameters_it_was_sent(
    api: Api, project: dict[str, Any]
) -> None:
    broken = PARAMS.replace("workflows:", "workflows: {}\nnope:")
    created = await trigger(api, broken, parameters={"target": "production"})
    pipeline = (await api.get(f"/v1/pipelines/{created['id']}")).json()
    assert pipeline["error_reason"] == "config_error"
    assert pipeline["parameters"] == {"target": "production"}


async def test_a_config_without_parameters_shows_none(api: Api, project: dict[str, Any]) -> None:
    created = await trigger(
        api, "version: 1\njobs: {a: {steps: [{run: 'true'}]}}\nworkflows: {main: {jobs: [a]}}\n"
    )
    assert (await api.get(f"/v1/pipelines/{created['id']}")).json()["parameters"] == {}


async def outcome(api: Api, pipeline_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The finished pipeline and its (only) workflow."""
    pipeline = await wait_pipeline(api, pipeline_id)
    return pipeline, await workflow_of(api, pipeline_id)


def config(jobs: dict[str, str], requires: dict[str, str] | None = None) -> str:
    lines = ["version: 1", "jobs:"]
    lines += [f"  {name}: {{{body}}}" for name, body in jobs.items()]
    entries = [
        f"{{{name}: {{requires: [{requires[name]}]}}}}" if requires and name in requires else name
        for name in jobs
    ]
    lines += ["workflows:", f"  main: {{jobs: [{', '.join(entries)}]}}", ""]
    return "\n".join(lines)


async def test_a_job_that_timed_out_makes_the_workflow_timed_out(
    api: Api, project: dict[str, Any]
) -> None:
    created = await trigger(
        api,
        config(
            {"slow": "timeout: 1, steps: [{run: sleep 30}]", "after": "steps: [{run: 'true'}]"},
            requires={"after": "slow"},
        ),
    )
    pipeline, workflow = await outcome(api, created["id"])
    jobs = await jobs_of(api, workflow["id"])
    assert (jobs["slow"]["status"], jobs["slow"]["error_reason"]) == ("error", "timed_out")
    assert jobs["after"]["error_reason"] == "dependency_failed"
    assert (workflow["status"], workflow["error_reason"]) == ("error", "timed_out")
    assert (pipeline["status"], pipeline["error_reason"]) == ("error", "timed_out")


async def running_run_of(api: Api, workflow_id: str, job: str) -> str:
    """The run id of a job once its run is running."""
    for _ in range(500):
        run_id = (await jobs_of(api, workflow_id))[job]["run_id"]
        if run_id is not None and (await api.get(f"/v1/runs/{run_id}")).json()["status"] == (
            "running"
        ):
            return str(run_id)
        await asyncio.sleep(0.02)
    raise AssertionError(f"{job} never started")


async def test_a_job_whose_run_was_canceled_makes_the_workflow_canceled(
    api: Api, project: dict[str, Any]
) -> None:
    created = await trigger(
        api,
        config(
            {"slow": "steps: [{run: sleep 300}]", "after": "steps: [{run: 'true'}]"},
            requires={"after": "slow"},
        ),
    )
    workflow = await workflow_of(api, created["id"])
    run_id = await running_run_of(api, workflow["id"], "slow")
    assert (await api.post(f"/v1/runs/{run_id}/cancel")).status_code == 200
    pipeline, workflow = await outcome(api, created["id"])
    jobs = await jobs_of(api, workflow["id"])
    assert (jobs["slow"]["status"], jobs["slow"]["error_reason"]) == ("error", "canceled")
    assert jobs["after"]["error_reason"] == "dependency_failed"
    assert (workflow["status"], workflow["error_reason"]) == ("error", "canceled")
    assert (pipeline["status"], pipeline["error_reason"]) == ("error", "canceled")


async def test_a_failure_beside_a_timeout_is_a_failure(api: Api, project: dict[str, Any]) -> None:
    created = await trigger(
        api,
        config(
            {
                "slow": "timeout: 1, steps: [{run: sleep 30}]",
                "broken": "steps: [{run: 'sleep 0.5; exit 3'}]",
            }
        ),
    )
    pipeline, workflow = await outcome(api, created["id"])
    jobs = await jobs_of(api, workflow["id"])
    assert jobs["slow"]["error_reason"] == "timed_out"
    assert jobs["broken"]["error_reason"] == "failed"
    assert (workflow["status"], workflow["error_reason"]) == ("error", "failed")
    assert (pipeline["status"], pipeline["error_reason"]) == ("error", "failed")


async def test_a_plain_failure_stays_failed(api: Api, project: dict[str, Any]) -> None:
    created = await trigger(api, config({"broken": "steps: [{run: exit 1}]"}))
    pipeline, workflow = await outcome(api, created["id"])
    assert (workflow["status"], workflow["error_reason"]) == ("error", "failed")
    assert (pipeline["status"], pipeline["error_reason"]) == ("error", "failed")


async def test_a_canceled_workflow_is_canceled_whatever_its_jobs_did(
    api: Api, project: dict[str, Any]
) -> None:
    created = await trigger(
        api,
        config({"broken": "steps: [{run: exit 1}]", "slow": "steps: [{run: sleep 300}]"}),
    )
    workflow = await workflow_of(api, created["id"])
    await running_run_of(api, workflow["id"], "slow")
    for _ in range(500):  # the failure first, then the cancel
        if (await jobs_of(api, workflow["id"]))["broken"]["status"] == "error":
            break
        await asyncio.sleep(0.02)
    assert (await api.post(f"/v1/workflows/{workflow['id']}/cancel")).status_code == 200
    pipeline, workflow = await outcome(api, created["id"])
    jobs = await jobs_of(api, workflow["id"])
    assert (jobs["broken"]["error_reason"], jobs["slow"]["error_reason"]) == ("failed", "canceled")
    assert (workflow["status"], workflow["error_reason"]) == ("error", "canceled")
    # A pipeline goes by its workflows, and its one workflow was canceled.
    assert (pipeline["status"], pipeline["error_reason"]) == ("error", "canceled")


async def test_a_pipeline_goes_by_the_same_rule_over_its_workflows(
    api: Api, project: dict[str, Any]
) -> None:
    text = (
        "version: 1\njobs:\n"
        "  slow: {timeout: 1, steps: [{run: sleep 30}]}\n"
        "  broken: {steps: [{run: 'sleep 0.5; exit 3'}]}\n"
        "workflows:\n  waits: {jobs: [slow]}\n  breaks: {jobs: [broken]}\n"
    )
    created = await trigger(api, text)
    pipeline = await wait_pipeline(api, created["id"])
    workflows = {
        w["name"]: w for w in (await api.get(f"/v1/pipelines/{created['id']}/workflows")).json()
    }
    assert workflows["waits"]["error_reason"] == "timed_out"
    assert workflows["breaks"]["error_reason"] == "failed"
    assert (pipeline["status"], pipeline["error_reason"]) == ("error", "failed")
