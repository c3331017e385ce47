"""A job's ``artifacts``, ``cache`` and ``test_reports``: declared on a stored job through
/v1 (checked, with messages naming the field) or in ``.ishcd.yml``, copied into its runs
(a pipeline's with its branch and revision), and told to the runner that claims one (the
embedded runner's protocol and an agent over HTTP)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ishcd.db import runs as runs_db
from ishcd.engine.local import LocalProtocol
from ishcd.outputs import ArtifactsSpec, CacheSpec, Outputs
from ishcd.runner import http as runner_http
from tests.api.conftest import Api
from tests.api.runner_http import live_server
from tests.api.test_pipeline_git import Repo
from tests.api.test_pipelines import jobs_of, workflow_of

CACHE = {
    "restore": ['deps-{{ checksum "requirements.txt" }}', "deps-"],
    "save": {"key": 'deps-{{ checksum "requirements.txt" }}', "paths": [".venv"]},
}
EXPECTED = Outputs(
    artifacts=ArtifactsSpec(("dist/*.whl", "screenshots/**"), "on_failure", 30 * 86400),
    cache=CacheSpec(
        ('deps-{{ checksum "requirements.txt" }}', "deps-"),
        'deps-{{ checksum "requirements.txt" }}',
        (".venv",),
    ),
    test_reports=("reports/*.xml",),
)
DECLARED = {
    "artifacts": {
        "paths": ["dist/*.whl", "screenshots/**"],
        "when": "on_failure",
        "expire_in": "30d",
    },
    "cache": CACHE,
    "test_reports": ["reports/*.xml"],
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"runner_slots": 0}  # runs stay queued until a test claims them


async def test_outputs_are_declared_read_changed_and_cleared(api: Api) -> None:
    await api.project("P")
    job = await api.job("p", "true", name="build", **DECLARED)
    assert job["artifacts"] == {
        "paths": ["dist/*.whl", "screenshots/**"],
        "when": "on_failure",
        "expire_in": 30 * 86400,
    }
    assert job["cache"] == CACHE
    assert job["test_reports"] == ["reports/*.xml"]
    assert (await api.get("/v1/projects/p/jobs/build")).json() == job

    # A list is the paths (when: always); PATCH changes only what it sends.
    changed = await api.patch("/v1/projects/p/jobs/build", json={"artifacts": ["out/**"]})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["artifacts"] == {"paths": ["out/**"], "when": "always", "expire_in": None}
    assert (body["cache"], body["test_reports"]) == (CACHE, ["reports/*.xml"])
    only_restore = {"cache": {"restore": ["deps-"]}}
    body = (await api.patch("/v1/projects/p/jobs/build", json=only_restore)).json()
    assert body["cache"] == {"restore": ["deps-"], "save": None}

    cleared = await api.patch(
        "/v1/projects/p/jobs/build",
        json={"artifacts": None, "cache": None, "test_reports": None},
    )
    body = cleared.json()
    assert (body["artifacts"], body["cache"], body["test_reports"]) == (None, None, None)
    plain = await api.job("p", "true", name="plain")
    assert (plain["artifacts"], plain["cache"], plain["test_reports"]) == (None, None, None)


BAD: list[tuple[dict[str, Any], str]] = [
    ({"artifacts": ["ok/*", "../up"]}, "artifacts[1]"),
    ({"artifacts": {"paths": ["/etc/passwd"]}}, "artifacts.paths[0]"),
    ({"artifacts": {"paths": ["a"], "expire_in": "3 weeks"}}, "artifacts.expire_in"),
    ({"artifacts": {"paths": ["a"], "expire_in": 11 * 366 * 86400}}, "artifacts.expire_in"),
    ({"artifacts": {"paths": [], "when": "always"}}, "artifacts"),
    ({"artifacts": {"paths": ["a"], "when": "sometimes"}}, "artifacts"),
    ({"cache": {}}, "cache"),
    ({"cache": {"save": {"key": "k\nv", "paths": ["x"]}}}, "cache.save.key"),
    ({"cache": {"save": {"key": "k" * 513, "paths": ["x"]}}}, "cache.save.key"),
    ({"cache": {"restore": ["a"] * 17}}, "cache.restore"),
    ({"test_reports": ["r/*.xml", ""]}, "test_reports[1]"),
    ({"test_reports": [f"r{i}.xml" for i in range(33)]}, "test_reports"),
]


async def test_bad_outputs_are_refused_naming_the_field(api: Api) -> None:
    await api.project("P")
    await api.job("p", "true", name="k", artifacts=["kept"])
    for sent, field in BAD:
        made = await api.post("/v1/projects/p/jobs", json={"name": "j", "script": "true", **sent})
        assert made.status_code == 422, made.text
        assert field in made.text, (sent, made.text)
        patched = await api.patch("/v1/projects/p/jobs/k", json=sent)
        assert patched.status_code == 422, patched.text
        assert field in patched.text, (sent, patched.text)
    kept = (await api.get("/v1/projects/p/jobs/k")).json()
    assert (kept["artifacts"]["paths"], kept["cache"], kept["test_reports"]) == (
        ["kept"],
        None,
        None,
    )


async def test_a_run_gets_its_jobs_outputs_and_the_embedded_runner_is_told(api: Api) -> None:
    await api.project("P")
    await api.job("p", "true", name="build", **DECLARED)
    await api.job("p", "true", name="plain")
    run = await api.start("p", "build")
    plain = await api.start("p", "plain")
    # The job changes after: the run keeps what it was created with.
    await api.patch("/v1/projects/p/jobs/build", json={"artifacts": None})
    async with api.server.database.read() as conn:
        stored = await runs_db.get_run(conn, run["id"])
        stored_plain = await runs_db.get_run(conn, plain["id"])
    assert stored is not None
    assert stored.outputs_json is not None
    assert stored.outputs == EXPECTED
    assert stored_plain is not None
    assert stored_plain.outputs_json is None

    server = api.server
    protocol = LocalProtocol(server.database, server.logs, server.runtime, frozenset({"local"}))
    first = await protocol.claim("test-runner", 0)
    second = await protocol.claim("test-runner", 0)
    assert first is not None
    assert second is not None
    by_run = {first.run_id: first.outputs, second.run_id: second.outputs}
    assert by_run == {run["id"]: EXPECTED, plain["id"]: Outputs()}


async def test_an_agent_is_told_the_outputs_over_http(tmp_path: Path, database_url: str) -> None:
    async with live_server(tmp_path, database_url) as live:
        agent = await live.agent()
        run = await live.queue("true", **DECLARED)
        got = await agent.claim()
    assert got["run_id"] == run["id"]
    assert got["outputs"] == {
        "artifacts": {
            "paths": ["dist/*.whl", "screenshots/**"],
            "when": "on_failure",
            "expire_in": 30 * 86400,
        },
        "cache": CACHE,
        "test_reports": ["reports/*.xml"],
    }
    assert runner_http.assignment_of(got).outputs == EXPECTED


PIPELINE = """\
version: 1
jobs:
  build:
    steps: [{run: make}]
    artifacts: {paths: [dist/*.whl, screenshots/**], when: on_failure, expire_in: 30d}
    cache:
      restore: ['deps-{{ checksum "requirements.txt" }}', deps-]
      save: {key: 'deps-{{ checksum "requirements.txt" }}', paths: [.venv]}
    test_reports: [reports/*.xml]
workflows:
  main:
    jobs: [build]
"""


async def test_a_pipeline_run_gets_the_outputs_branch_and_revision(
    api: Api, tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "repo")
    revision = repo.push({".ishcd.yml": PIPELINE}, branch="feature")
    await api.project("App", repository=str(repo.origin))
    made = await api.post("/v1/projects/app/pipelines", json={"branch": "feature"})
    assert made.status_code == 201, made.text
    workflow = await workflow_of(api, made.json()["id"])
    for _ in range(1000):  # the workflow starts its run as it advances
        build = (await jobs_of(api, workflow["id"]))["build"]
        if build["run_id"] is not None:
            break
        await asyncio.sleep(0.02)
    async with api.server.database.read() as conn:
        run = await runs_db.get_run(conn, build["run_id"])
    assert run is not None
    assert (run.branch, run.revision) == ("feature", revision)
    server = api.server
    protocol = LocalProtocol(server.database, server.logs, server.runtime, frozenset({"local"}))
    assignment = await protocol.claim("test-runner", 0)
    assert assignment is not None
    assert assignment.run_id == run.id
    assert assignment.outputs == EXPECTED
