"""An agent gets a pipeline job's code as a git bundle made from the server's mirror,
even when the project's repository is a path only the server can read."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.runner_http import Live, live_server
from tests.api.test_pipeline_git import GIT_ENV, Repo
from tests.api.test_pipelines import jobs_of, workflow_of

CONFIG = """\
version: 1
jobs:
  show:
    steps:
      - run: cat version.txt
workflows:
  main: {jobs: [show]}
"""


@pytest.fixture
async def live(tmp_path: Path, database_url: str) -> AsyncIterator[Live]:
    async with live_server(tmp_path, database_url) as live:
        yield live


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


async def test_a_pipeline_jobs_revision_comes_as_a_bundle(live: Live, tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    first = repo.push({".ishcd.yml": CONFIG, "version.txt": "one\n"})
    repo.push({"version.txt": "two\n"})  # the branch moves on: the run keeps its revision
    await live.api.project("App", repository=str(repo.origin))
    triggered = await live.api.post("/v1/projects/app/pipelines", json={"revision": first})
    assert triggered.status_code == 201, triggered.text
    agent = await live.agent()
    got = await agent.claim(wait=10)
    assert got["checkout"]["revision"] == first
    assert got["sections"] is True
    workflow = await workflow_of(live.api, triggered.json()["id"])
    assert (await jobs_of(live.api, workflow["id"]))["show"]["run_id"] == got["run_id"]

    response = await agent.http.get(
        f"/v1/runner/jobs/{got['run_id']}/source", params={"attempt": got["attempt"]}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-git-bundle"
    bundle = tmp_path / "agent" / "source.bundle"
    bundle.parent.mkdir()
    bundle.write_bytes(response.content)
    # As the runner checks out (runner/execute.py), from the bundle instead of the mirror.
    workspace = tmp_path / "agent" / "workspace"
    workspace.mkdir()
    git("clone", "--quiet", "--no-checkout", "--", str(bundle), ".", cwd=workspace)
    git("-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", first, cwd=workspace)
    assert (workspace / "version.txt").read_text() == "one\n"
    assert git("rev-parse", "HEAD", cwd=workspace) == first
    plain = tmp_path / "agent" / "plain"  # a plain clone checks the revision out too
    git("clone", "--quiet", "--", str(bundle), str(plain), cwd=tmp_path)
    assert git("rev-parse", "HEAD", cwd=plain) == first

    stale = await agent.http.get(
        f"/v1/runner/jobs/{got['run_id']}/source", params={"attempt": got["attempt"] + 1}
    )
    assert stale.status_code == 409
    leftovers = list((live.server.settings.data_dir / "mirrors" / ".bundles").iterdir())
    assert leftovers == []  # deleted once sent


async def test_a_run_without_code_has_no_source(live: Live) -> None:
    agent = await live.agent()
    await live.queue()
    got = await agent.claim()
    response = await agent.http.get(f"/v1/runner/jobs/{got['run_id']}/source?attempt=1")
    assert response.status_code == 404
    assert "no code" in response.json()["message"]


async def test_a_mirror_missing_here_is_fetched_first(live: Live, tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    revision = repo.push({".ishcd.yml": CONFIG, "version.txt": "one\n"})
    await live.api.project("App", repository=str(repo.origin))
    triggered = await live.api.post("/v1/projects/app/pipelines", json={})
    assert triggered.status_code == 201, triggered.text
    agent = await live.agent()
    got = await agent.claim(wait=10)
    mirrors = live.server.mirrors
    project_id = (await live.api.get("/v1/projects/app")).json()["id"]
    shutil.rmtree(mirrors.path(project_id))  # as on a replica that never fetched it
    response = await agent.http.get(f"/v1/runner/jobs/{got['run_id']}/source?attempt=1")
    assert response.status_code == 200, response.text
    bundle = tmp_path / "source.bundle"
    bundle.write_bytes(response.content)
    clone = tmp_path / "clone"
    git("clone", "--quiet", "--", str(bundle), str(clone), cwd=tmp_path)
    assert git("rev-parse", "HEAD", cwd=clone) == revision
