"""Artifacts from a runner agent (a real ``ishcd runner`` process): its files go through
the runner protocol over HTTP, never to the store directly, and are listed and served
as the embedded runner's are; escapes and limits are lines in the log."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from ishcd.client import Client, NotFound
from tests.e2e.agent_fixtures import agent_database, fleet_factory
from tests.e2e.agents import Fleet, create_job, start_run
from tests.live import wait_for_run

__all__ = ["agent_database", "fleet_factory"]

SCRIPT = """\
mkdir -p dist logs
head -c 700 /dev/urandom > dist/app.bin
printf 'first\\nsecond\\n' > logs/out.txt
head -c 1200 /dev/zero > too-big.bin
ln -s {outside} logs/outside.txt
"""


def test_an_agents_artifacts_are_kept_through_the_protocol(
    fleet_factory: Any, tmp_path: Path
) -> None:
    fleet: Fleet = fleet_factory(ISHCD_ARTIFACT_MAX_FILE="1000", ISHCD_ARTIFACT_MAX_RUN="5000")
    agent = fleet.agent("a")
    outside = tmp_path / "secret.txt"
    outside.write_text("not for artifacts")
    with fleet.server.client() as client:
        assert client.post("/v1/projects", json={"name": "ops"}).status_code == 201
        script = SCRIPT.format(outside=outside)
        create_job(client, "ops", "build", script, artifacts=["dist/*", "logs/**", "*.bin"])
        run_id = start_run(client, "ops", "build")
        done = wait_for_run(client, run_id, timeout=60)
        assert done["status"] == "complete", done
        log = client.get(f"/v1/runs/{run_id}/log").text.splitlines()
        assert (
            "[ishcd] artifacts: 'logs/outside.txt' is refused: it points outside the workspace"
            in log
        )
        assert any(line.startswith("[ishcd] artifact 'too-big.bin' not kept") for line in log)
        assert log[-1] == "[ishcd] kept 2 artifacts (713 bytes); 1 not kept"

        listed = client.get(f"/v1/projects/ops/jobs/build/runs/{run_id}/artifacts").json()
        assert [(a["path"], a["size"]) for a in listed] == [
            ("dist/app.bin", 700),
            ("logs/out.txt", 13),
        ]
        binary = client.get(f"/v1/runs/{run_id}/artifacts/dist/app.bin")
        assert binary.status_code == 200
        assert hashlib.sha256(binary.content).hexdigest() == listed[0]["sha256"]
        part = client.get(
            f"/v1/runs/{run_id}/artifacts/logs/out.txt", headers={"Range": "bytes=6-"}
        )
        assert (part.status_code, part.content) == (206, b"second\n")
        latest = client.get(
            "/v1/projects/ops/artifacts/latest", params={"job": "build", "path": "logs/out.txt"}
        )
        assert latest.content == b"first\nsecond\n"
    # The Python client reads the same.
    with Client(fleet.server.token, host=fleet.server.url) as ishcd:
        run = ishcd.runs(run_id).artifacts()
        assert [a.path for a in run.iter_all(per_page=1)] == ["dist/app.bin", "logs/out.txt"]
        assert run.read("logs/out.txt", start=6, end=9) == b"sec"
        saved = run.download("dist/app.bin", tmp_path / "app.bin")
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == listed[0]["sha256"]
        shop = ishcd.projects("ops").artifacts()
        assert shop.read_latest("build", "logs/out.txt") == b"first\nsecond\n"
        with pytest.raises(NotFound, match="on branch 'main'"):
            shop.read_latest("build", "logs/out.txt", branch="main")
    assert "Traceback" not in agent.log()
