"""Artifacts of pipeline jobs (``.ishcd.yml``): kept per branch, so "the latest build"
of a job names a branch, and the expiry sweep keeps each branch's latest successful run's."""

from __future__ import annotations

import time
from typing import Any

from tests.api.conftest import Api
from tests.api.test_pipeline_git import Repo, project, repo, trigger
from tests.api.test_pipelines import jobs_of, wait_pipeline, workflow_of

__all__ = ["project", "repo"]

CONFIG = """\
version: 1
jobs:
  build:
    steps:
      - run: mkdir -p dist && cp version.txt dist/version.txt
    artifacts: {paths: [dist/*], expire_in: 1h}
workflows:
  main: {jobs: [build]}
"""
LATEST = "/v1/projects/app/artifacts/latest"


async def build_on(api: Api, repo: Repo, branch: str, version: str) -> str:
    """Push ``version`` on ``branch``, run its pipeline; the build's run id."""
    repo.push({".ishcd.yml": CONFIG, "version.txt": version}, branch=branch)
    pipeline = await wait_pipeline(api, (await trigger(api, branch=branch))["id"])
    assert pipeline["status"] == "complete", pipeline
    jobs = await jobs_of(api, (await workflow_of(api, pipeline["id"]))["id"])
    return str(jobs["build"]["run_id"])


async def latest(api: Api, **where: str) -> Any:
    return await api.get(LATEST, params={"job": "build", "path": "dist/version.txt", **where})


async def test_latest_and_retention_go_by_branch(
    api: Api, project: dict[str, Any], repo: Repo
) -> None:
    old_main = await build_on(api, repo, "main", "main 1")
    new_main = await build_on(api, repo, "main", "main 2")
    feature = await build_on(api, repo, "feature", "feature 1")
    assert (await latest(api, branch="main")).content == b"main 2"
    assert (await latest(api, branch="feature")).content == b"feature 1"
    assert (await latest(api)).content == b"feature 1"  # any branch: the latest of all
    gone = await latest(api, branch="nope")
    assert gone.status_code == 404
    assert "on branch 'nope'" in gone.json()["message"]

    assert api.server.sweeper is not None
    await api.server.sweeper.sweep_once(now=time.time() + 2 * 3600)
    left = {}
    for run_id in (old_main, new_main, feature):
        left[run_id] = len((await api.get(f"/v1/runs/{run_id}/artifacts")).json())
    assert left == {old_main: 0, new_main: 1, feature: 1}
    assert (await latest(api, branch="main")).content == b"main 2"
