"""The README's ``make run`` passes a relative data dir (``./.ishcd``): pipelines still check out.

A project's mirror lives under the data dir and is cloned from inside the
job's workspace, so a relative data dir made every checkout fail
("repository '.ishcd/mirrors/….git' does not exist").
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.api.test_pipeline_git import Repo
from tests.e2e.conftest import LiveServer, free_port

CONFIG = """\
version: 1
jobs:
  show:
    steps:
      - run: cat version.txt
      - run: echo "at $(git rev-parse HEAD)"
workflows:
  main: {jobs: [show]}
"""


def _wait_pipeline(client: httpx.Client, pipeline_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        pipeline: dict[str, Any] = client.get(f"/v1/pipelines/{pipeline_id}").json()
        if pipeline["status"] in ("complete", "error"):
            return pipeline
        assert time.monotonic() < deadline, f"pipeline still {pipeline['status']}"
        time.sleep(0.1)


def test_a_repository_pipeline_runs_with_a_relative_data_dir(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    revision = repo.push({".ishcd.yml": CONFIG, "version.txt": "one\n"})
    home = tmp_path / "checkout"
    home.mkdir()
    server = LiveServer(data_dir=Path("./.ishcd"), port=free_port(), cwd=home)
    server.start()
    try:
        with server.client() as client:
            client.post(
                "/v1/projects", json={"name": "app", "repository": str(repo.origin)}
            ).raise_for_status()
            created = client.post("/v1/projects/app/pipelines", json={}).json()
            pipeline = _wait_pipeline(client, created["id"])
            runs = client.get("/v1/projects/app/runs").json()
            log = client.get(f"/v1/runs/{runs[0]['id']}/log").text
    finally:
        server.stop()
    assert pipeline["status"] == "complete", log
    assert "\none\n" in log
    assert f"\nat {revision}\n" in log
    assert (home / ".ishcd" / "mirrors").is_dir()
