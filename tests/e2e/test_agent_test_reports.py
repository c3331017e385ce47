"""Test reports from a remote agent: it sends the files through the runner protocol and
the server parses them exactly as the embedded runner's (a bad one is a line in the log)."""

from __future__ import annotations

from typing import Any

from tests import junit_samples
from tests.e2e.agent_fixtures import agent_database, fleet_factory
from tests.e2e.agents import Fleet, create_job, start_run
from tests.junit_samples import write_files
from tests.live import wait_for_run

__all__ = ["agent_database", "fleet_factory"]


def test_an_agent_sends_its_runs_test_reports(fleet_factory: Any) -> None:
    fleet: Fleet = fleet_factory()
    agent = fleet.agent("tester")
    files = {
        "reports/pytest.xml": junit_samples.PYTEST,
        "reports/bomb.xml": junit_samples.BILLION_LAUGHS,
    }
    with fleet.server.client() as client:
        assert client.post("/v1/projects", json={"name": "app"}).status_code == 201
        create_job(client, "app", "unit", write_files(files), test_reports=["reports/*.xml"])
        run_id = start_run(client, "app", "unit")
        done = wait_for_run(client, run_id, timeout=60)
        assert done["status"] == "complete", done
        assert done["tests"] == {"total": 5, "passed": 2, "failed": 1, "skipped": 1, "error": 1}
        log = client.get(f"/v1/runs/{run_id}/log").text
        assert "[ishcd] test report reports/pytest.xml: 5 tests, 1 failed, 1 error" in log
        assert "[ishcd] could not read test report reports/bomb.xml: it declares a DTD" in log
        failed = client.get(f"/v1/runs/{run_id}/tests", params={"result": "failed"}).json()
        assert [case["name"] for case in failed] == ["test_div"]
    assert "Traceback" not in agent.log()
