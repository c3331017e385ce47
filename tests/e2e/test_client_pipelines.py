"""The Python client's pipelines and workflows against a real server, runner and bash.

One server for the module (a start costs seconds); each test has a project of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from ishcd.client import (
    Client,
    Conflict,
    NotFound,
    Pipeline,
    PipelineConfig,
    ProjectPipelines,
    Promotion,
    ValidationFailed,
    WaitTimeout,
    Workflow,
    WorkflowJob,
)
from tests.api.test_pipeline_git import Repo
from tests.e2e.conftest import LiveServer, free_port

TIMEOUT = 60
DAG = """\
version: 1
jobs:
  build: {steps: [{run: echo built}]}
  test: {steps: [{run: echo tested}]}
workflows:
  main:
    jobs: [build, {test: {requires: [build]}}]
"""
FAILING = """\
version: 1
jobs:
  build: {steps: [{run: 'echo boom; exit 3'}]}
  deploy: {steps: [{run: echo deployed}]}
workflows:
  main:
    jobs: [build, {deploy: {requires: [build]}}]
"""
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
          << pipeline.parameters.loud >>"
workflows:
  main: {jobs: [show]}
"""
APPROVAL = """\
version: 1
jobs:
  build: {steps: [{run: echo built}]}
  hold: {type: approval}
  deploy: {steps: [{run: echo deployed}]}
promotions:
  - name: deploy
    pipeline_file: .ishcd/deploy.yml
workflows:
  main:
    jobs: [build, {hold: {requires: [build]}}, {deploy: {requires: [hold]}}]
"""
SLOW = """\
version: 1
jobs:
  slow: {steps: [{run: sleep 60}]}
  after: {steps: [{run: echo never}]}
workflows:
  main: {jobs: [slow, {after: {requires: [slow]}}]}
"""
BAD = """\
version: 1
jobs:
  a:
    steps: [{run: x}]
workflows:
  w:
    jobs:
      - a: {requires: [nope]}
"""


def flaky(flag: Path) -> str:
    return (
        "version: 1\njobs:\n  build: {steps: [{run: echo built}]}\n"
        f"  flaky: {{steps: [{{run: 'test -e {flag}'}}]}}\n"
        "workflows:\n  main: {jobs: [build, {flaky: {requires: [build]}}]}\n"
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    made = LiveServer(
        data_dir=tmp_path_factory.mktemp("client-pipelines") / "data", port=free_port()
    )
    made.start()
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture
def client(server: LiveServer) -> Iterator[Client]:
    with Client(server.token, host=server.url) as made:
        yield made


NAMES = itertools.count(1)


@pytest.fixture
def project(client: Client) -> str:
    """A new project without a repository: its pipelines take inline configs."""
    return client.projects().create(f"p{next(NAMES)}").machine_name


def pipelines(client: Client, project: str) -> ProjectPipelines:
    return client.projects(project).pipelines()


def jobs_by_name(client: Client, workflow: Workflow) -> dict[str, WorkflowJob]:
    return {job.name: job for job in client.workflows(workflow.id).jobs()}


def test_trigger_and_wait_returns_the_completed_pipeline(client: Client, project: str) -> None:
    pipeline = pipelines(client, project).trigger(
        config=DAG, branch="main", wait=True, timeout=TIMEOUT
    )
    assert isinstance(pipeline, Pipeline)
    assert (pipeline.status, pipeline.ok, pipeline.is_finished) == ("complete", True, True)
    assert (pipeline.number, pipeline.error_reason, pipeline.errors) == (1, None, [])
    assert pipeline.project.machine_name == project
    assert pipeline.trigger.type == "api"
    assert pipeline.trigger.actor is not None
    assert pipeline.trigger.actor.username == "admin"
    assert (pipeline.vcs.branch, pipeline.vcs.tag) == ("main", None)
    assert (pipeline.config_file, pipeline.promoted_from) == ("(inline)", None)
    assert pipeline.started is not None
    assert pipeline.finished is not None
    assert pipeline.raw["id"] == pipeline.id

    handle = client.pipelines(pipeline.id)
    [workflow] = handle.workflows()
    assert (workflow.name, workflow.status, workflow.rerun_of) == ("main", "complete", None)
    assert (workflow.pipeline.id, workflow.pipeline.number) == (pipeline.id, 1)
    assert client.workflows(workflow.id).get() == workflow
    jobs = client.workflows(workflow.id).jobs()
    assert [(j.name, j.type, j.status, j.requires) for j in jobs] == [
        ("build", "run", "complete", []),
        ("test", "run", "complete", ["build"]),
    ]
    assert jobs[1].run_id is not None
    assert (client.runs(jobs[1].run_id).get().log or "").endswith("\ntested\n")

    config = handle.config()
    assert isinstance(config, PipelineConfig)
    assert (config.file, config.source) == ("(inline)", DAG)
    assert config.compiled is not None
    assert [j["name"] for j in config.compiled["workflows"][0]["jobs"]] == ["build", "test"]


def test_trigger_without_wait_returns_it_at_once(client: Client, project: str) -> None:
    pipeline = pipelines(client, project).trigger(config=DAG)
    assert pipeline.status in ("queued", "running", "complete")
    done = client.pipelines(pipeline.id).wait(TIMEOUT)
    assert (done.id, done.status) == (pipeline.id, "complete")


def test_a_failed_job_fails_the_pipeline_and_what_requires_it_is_not_run(
    client: Client, project: str
) -> None:
    pipeline = pipelines(client, project).trigger(config=FAILING, wait=True, timeout=TIMEOUT)
    assert (pipeline.status, pipeline.error_reason, pipeline.ok) == ("error", "failed", False)
    [workflow] = client.pipelines(pipeline.id).workflows()
    assert (workflow.status, workflow.error_reason) == ("error", "failed")
    jobs = jobs_by_name(client, workflow)
    assert (jobs["build"].status, jobs["build"].error_reason, jobs["build"].not_run) == (
        "error",
        "failed",
        False,
    )
    assert jobs["build"].run_id is not None
    assert client.runs(jobs["build"].run_id).get().exit_code == 3
    deploy = jobs["deploy"]
    assert (deploy.status, deploy.error_reason, deploy.run_id) == (
        "error",
        "dependency_failed",
        None,
    )
    assert deploy.not_run
    assert deploy.message is not None
    assert "build" in deploy.message


def test_parameters_reach_the_steps_and_bad_ones_name_their_field(
    client: Client, project: str
) -> None:
    listing = pipelines(client, project)
    pipeline = listing.trigger(
        config=PARAMS,
        parameters={"target": "production", "shards": "4", "loud": "true"},
        wait=True,
        timeout=TIMEOUT,
    )
    assert pipeline.status == "complete"
    # The values it ran with, in their types.
    assert pipeline.parameters == {"target": "production", "shards": 4, "loud": True}
    [workflow] = client.pipelines(pipeline.id).workflows()
    run_id = jobs_by_name(client, workflow)["show"].run_id
    assert run_id is not None
    assert (client.runs(run_id).get().log or "").endswith("\nproduction 4 true\n")

    with pytest.raises(ValidationFailed) as caught:
        listing.trigger(config=PARAMS, parameters={"shards": "many", "nope": 1})
    assert sorted(e.field for e in caught.value.errors) == ["parameters.nope", "parameters.shards"]
    assert [p.number for p in listing.list()] == [1]


def test_a_config_error_is_a_pipeline_in_error_with_lines(client: Client, project: str) -> None:
    pipeline = pipelines(client, project).trigger(config=BAD, wait=True, timeout=TIMEOUT)
    assert (pipeline.status, pipeline.error_reason) == ("error", "config_error")
    [error] = pipeline.errors
    assert error.line == 8
    assert error.path.startswith("workflows.w.jobs[0]")
    assert "nope" in error.message
    assert client.pipelines(pipeline.id).workflows() == []
    assert client.pipelines(pipeline.id).config().compiled is None

    with pytest.raises(ValidationFailed) as caught:
        pipelines(client, project).trigger()
    assert [e.field for e in caught.value.errors] == ["config"]


def test_wait_stops_on_hold_and_an_approval_lets_it_complete(client: Client, project: str) -> None:
    pipeline = pipelines(client, project).trigger(config=APPROVAL, wait=True, timeout=TIMEOUT)
    assert (pipeline.status, pipeline.on_hold, pipeline.is_finished) == ("on_hold", True, False)
    [workflow] = client.pipelines(pipeline.id).workflows()
    assert workflow.status == "on_hold"
    jobs = jobs_by_name(client, workflow)
    assert (jobs["hold"].type, jobs["hold"].status) == ("approval", "on_hold")
    assert (jobs["deploy"].status, jobs["deploy"].run_id) == ("queued", None)

    handle = client.workflows(workflow.id)
    with pytest.raises(Conflict):
        handle.approve("build")
    with pytest.raises(NotFound):
        handle.approve("nope")
    approved = handle.approve("hold")
    assert approved.id == workflow.id
    assert approved.status in ("queued", "running", "complete")
    done = client.pipelines(pipeline.id).wait(TIMEOUT)
    assert done.status == "complete"
    assert jobs_by_name(client, workflow)["hold"].message == "approved by admin"
    with pytest.raises(Conflict):
        handle.approve("hold")


def test_wait_until_other_statuses_and_a_timeout(client: Client, project: str) -> None:
    pipeline = pipelines(client, project).trigger(config=SLOW)
    handle = client.pipelines(pipeline.id)
    assert handle.wait(TIMEOUT, until={"running"}).status == "running"
    with pytest.raises(WaitTimeout) as caught:
        handle.wait(0.3)
    assert isinstance(caught.value.last, Pipeline)
    assert caught.value.last.status == "running"
    assert f"pipeline {pipeline.id} still running after 0.3s" in str(caught.value)
    with pytest.raises(ValueError, match="finished"):
        handle.wait(1, until={"finished"})
    handle.stop()


def test_promotions_are_listed_and_without_a_repository_fail_clearly(
    client: Client, project: str
) -> None:
    pipeline = pipelines(client, project).trigger(config=APPROVAL, wait=True, timeout=TIMEOUT)
    handle = client.pipelines(pipeline.id)
    assert handle.promotions() == []
    with pytest.raises(Conflict, match="override"):
        handle.promote("deploy")
    with pytest.raises(ValidationFailed) as caught:
        handle.promote("nope", override=True)
    assert [e.field for e in caught.value.errors] == ["name"]

    with pytest.raises(Conflict, match=r"has no repository to read \.ishcd/deploy\.yml"):
        handle.promote("deploy", override=True)
    assert handle.promotions() == []
    handle.stop()


def test_a_promotion_from_a_repository(client: Client, tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    deploy = (
        "version: 1\njobs:\n  deploy: {steps: [{run: cat VERSION}]}\n"
        "workflows:\n  d: {jobs: [deploy]}\n"
    )
    repo.push({".ishcd.yml": APPROVAL, ".ishcd/deploy.yml": deploy, "VERSION": "7\n"})
    name = client.projects().create(f"r{next(NAMES)}", repository=str(repo.origin)).machine_name
    assert client.projects(name).get().repository == str(repo.origin)
    pipeline = pipelines(client, name).trigger(wait=True, timeout=TIMEOUT)
    assert pipeline.status == "on_hold"
    handle = client.pipelines(pipeline.id)
    promotion = handle.promote("deploy", override=True)
    assert isinstance(promotion, Promotion)
    assert (promotion.name, promotion.triggered_by, promotion.override, promotion.status) == (
        "deploy",
        "manual",
        True,
        "promoted",
    )
    assert promotion.scheduled_pipeline_id is not None
    follow_on = client.pipelines(promotion.scheduled_pipeline_id).wait(timeout=TIMEOUT)
    assert follow_on.status == "complete"
    assert follow_on.promoted_from is not None
    assert (follow_on.promoted_from.id, follow_on.promotion) == (pipeline.id, "deploy")
    assert follow_on.trigger.type == "promotion"
    assert follow_on.vcs.revision == pipeline.vcs.revision
    assert handle.promotions() == [promotion]
    assert handle.get().status == "on_hold"
    handle.stop()


def test_list_filters_and_pages_and_get_by_number(client: Client, project: str) -> None:
    listing = pipelines(client, project)
    first = listing.trigger(config=DAG, branch="feature", wait=True, timeout=TIMEOUT)
    second = listing.trigger(config=FAILING, branch="main", wait=True, timeout=TIMEOUT)
    assert [p.number for p in listing.list()] == [2, 1]
    assert [p.id for p in listing.list(branch="feature")] == [first.id]
    assert [p.id for p in listing.list(status="error")] == [second.id]
    assert [p.id for p in listing.list(mine=True)] == [second.id, first.id]
    assert [p.number for p in listing.list(page=2, per_page=1)] == [1]
    assert [p.number for p in listing.iter_all(per_page=1)] == [2, 1]
    assert listing.get(1) == client.pipelines(first.id).get()
    with pytest.raises(NotFound):
        listing.get(99)
    with pytest.raises(NotFound):
        client.pipelines("not-a-pipeline").get()


def test_stop_a_pipeline_and_cancel_a_workflow(client: Client, project: str) -> None:
    listing = pipelines(client, project)
    stopped = client.pipelines(listing.trigger(config=SLOW).id)
    stopped.wait(TIMEOUT, until={"running"})
    stopped.stop()
    pipeline = stopped.wait(TIMEOUT)
    assert (pipeline.status, pipeline.error_reason) == ("error", "canceled")
    with pytest.raises(Conflict):
        stopped.stop()

    other = listing.trigger(config=SLOW)
    [workflow] = client.pipelines(other.id).workflows()
    canceled = client.workflows(workflow.id).cancel()
    assert canceled.id == workflow.id
    assert client.pipelines(other.id).wait(TIMEOUT).error_reason == "canceled"
    jobs = jobs_by_name(client, client.workflows(workflow.id).get())
    assert [(j.status, j.error_reason) for j in jobs.values()] == [("error", "canceled")] * 2
    assert jobs["after"].not_run


def test_rerun_from_failed_with_a_request_token_makes_one_workflow(
    client: Client, project: str, tmp_path: Path
) -> None:
    flag = tmp_path / "fixed"
    pipeline = pipelines(client, project).trigger(config=flaky(flag), wait=True, timeout=TIMEOUT)
    assert pipeline.status == "error"
    [original] = client.pipelines(pipeline.id).workflows()
    before = jobs_by_name(client, original)
    flag.touch()
    handle = client.workflows(original.id)
    one = handle.rerun(from_failed=True, request_token="retry-1")
    two = handle.rerun(from_failed=True, request_token="retry-1")
    assert (one.id, one.replayed, two.replayed) == (two.id, False, True)
    assert (one.rerun_of, one.name, one.pipeline.id) == (original.id, "main", pipeline.id)
    assert client.pipelines(pipeline.id).wait(TIMEOUT).status == "complete"
    after = jobs_by_name(client, one)
    assert after["build"].run_id == before["build"].run_id  # not run again
    assert after["flaky"].run_id != before["flaky"].run_id
    assert [w.id for w in client.pipelines(pipeline.id).workflows()] == [original.id, one.id]

    with pytest.raises(ValidationFailed) as caught:
        handle.rerun(jobs=["nope"])
    assert [e.field for e in caught.value.errors] == ["jobs[0]"]
    just_build = handle.rerun(jobs=["build"])
    assert client.pipelines(pipeline.id).wait(TIMEOUT).status == "complete"
    again = jobs_by_name(client, just_build)
    assert again["build"].run_id not in (None, before["build"].run_id)
