"""Runner agents (``ishcd runner``) as real processes, against a real server with no runner
of its own: registration, exactly-once runs, labels, cancel, a checkout, a deleted runner."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any

from tests.api.test_pipeline_git import Repo
from tests.e2e.agent_fixtures import agent_database, fleet_factory
from tests.e2e.agents import Fleet, create_job, start_run, wait_for_log
from tests.live import wait_for_run

__all__ = ["agent_database", "fleet_factory"]


def runners_of(fleet: Fleet) -> list[dict[str, Any]]:
    with fleet.server.client() as client:
        response = client.get("/v1/runners")
        assert response.status_code == 200, response.text
        return list(response.json())


def test_an_agent_registers_once_and_a_restart_keeps_its_credential(fleet_factory: Any) -> None:
    fleet: Fleet = fleet_factory()
    agent = fleet.agent("one", labels=["linux", "big"], concurrency=2)
    saved = agent.work_dir / "runner.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert set(agent.credential) == {"url", "id", "credential"}
    assert agent.credential["url"] == fleet.server.url
    [runner] = runners_of(fleet)
    assert runner["id"] == agent.credential["id"]
    assert (runner["name"], runner["labels"]) == ("one", ["big", "linux"])
    assert runner["host"] == os.uname().nodename
    assert agent.stop() == 0

    agent.token = None  # a restart needs no registration token: it does not register again
    agent.start()
    assert "registered with" not in agent.log()
    assert [r["id"] for r in runners_of(fleet)] == [agent.credential["id"]]
    with fleet.server.client() as client:
        assert client.post("/v1/projects", json={"name": "ops"}).status_code == 201
        create_job(client, "ops", "hello", "echo hello from $ISHCD_PROJECT/$ISHCD_JOB")
        done = wait_for_run(client, start_run(client, "ops", "hello"))
        assert (done["status"], done["log"]) == ("complete", "hello from ops/hello\n")

        # Deleted on the server: the agent says so and stops with status 1.
        deleted = client.delete(f"/v1/runners/{agent.credential['id']}")
        assert deleted.status_code == 204, deleted.text
    assert agent.wait(60) == 1
    assert "was deleted there" in agent.log()
    assert "Traceback" not in agent.log()


def test_an_unregistered_agent_without_a_token_says_what_it_needs(
    fleet_factory: Any, tmp_path: Path
) -> None:
    fleet: Fleet = fleet_factory()
    agent = fleet.agent("nothing", start=False)
    agent.token = None
    agent.start(ready=False)
    assert agent.wait(60) == 1
    assert "give it a registration token" in agent.log()
    agent.token = "ishrt_not-a-token"
    agent.start(ready=False)
    assert agent.wait(60) == 1
    assert "refused the registration token" in agent.log()
    assert not (agent.work_dir / "runner.json").exists()


def test_runs_through_two_agents_are_each_executed_exactly_once(
    fleet_factory: Any, tmp_path: Path
) -> None:
    fleet: Fleet = fleet_factory()
    agents = [fleet.agent("a", concurrency=2), fleet.agent("b", concurrency=2)]
    ran = tmp_path / "ran.txt"
    script = (
        f'echo "$ISHCD_RUN_ID $ISHCD_WORKSPACE" >> {ran}\n'
        'for i in $(seq 1 200); do echo "$ISHCD_RUN_ID line $i"; done\n'
    )
    with fleet.server.client() as client:
        assert client.post("/v1/projects", json={"name": "ops"}).status_code == 201
        create_job(client, "ops", "count", script)
        run_ids = [start_run(client, "ops", "count") for _ in range(20)]
        for run_id in run_ids:
            done = wait_for_run(client, run_id, timeout=120)
            assert done["status"] == "complete", done
            expected = "".join(f"{run_id} line {i}\n" for i in range(1, 201))
            assert client.get(f"/v1/runs/{run_id}/log").text == expected
    lines = ran.read_text().splitlines()
    executed = [line.split()[0] for line in lines]
    assert sorted(executed) == sorted(run_ids)  # each once: none twice, none missing
    by_agent = {agent.name: 0 for agent in agents}
    for line in lines:
        workspace = Path(line.split()[1])
        [name] = [agent.name for agent in agents if workspace.is_relative_to(agent.work_dir)]
        by_agent[name] += 1
    assert sum(by_agent.values()) == 20
    for agent in agents:
        assert "Traceback" not in agent.log()


def test_a_job_goes_only_to_an_agent_with_all_its_labels(
    fleet_factory: Any, tmp_path: Path
) -> None:
    fleet: Fleet = fleet_factory()
    fleet.agent("plain")
    gpu = fleet.agent("gpu", labels=["gpu", "linux"])
    with fleet.server.client() as client:
        assert client.post("/v1/projects", json={"name": "ml"}).status_code == 201
        create_job(client, "ml", "train", "echo $ISHCD_WORKSPACE", labels=["gpu"])
        for _ in range(3):
            done = wait_for_run(client, start_run(client, "ml", "train"))
            assert done["status"] == "complete"
            assert Path(done["log"].strip()).is_relative_to(gpu.work_dir)


def test_cancel_reaches_a_sleeping_run_on_an_agent(fleet_factory: Any) -> None:
    fleet: Fleet = fleet_factory()
    fleet.agent("a", heartbeat_interval=30)  # the cancel comes by the held control request
    with fleet.server.client() as client:
        assert client.post("/v1/projects", json={"name": "ops"}).status_code == 201
        create_job(client, "ops", "nap", "echo sleeping; sleep 300; echo woke")
        run_id = start_run(client, "ops", "nap")
        wait_for_log(client, run_id, "sleeping\n")
        assert client.post(f"/v1/runs/{run_id}/cancel").status_code in (200, 202)
        done = wait_for_run(client, run_id, timeout=20)
        assert (done["status"], done["error_reason"]) == ("error", "canceled")
        assert "woke" not in done["log"]
        assert "[ishcd] run canceled: stopping its processes\n" in done["log"]


CONFIG = """\
version: 1
jobs:
  show:
    steps:
      - run: cat version.txt
      - run: echo "rev=$(git rev-parse HEAD)"
workflows:
  main: {jobs: [show]}
"""


def test_a_pipeline_job_on_an_agent_checks_out_the_exact_revision_of_a_local_repository(
    fleet_factory: Any, tmp_path: Path
) -> None:
    fleet: Fleet = fleet_factory()
    fleet.agent("a")
    repo = Repo(tmp_path / "repo")
    first = repo.push({".ishcd.yml": CONFIG, "version.txt": "one\n"})
    repo.push({"version.txt": "two\n"})  # the pipeline asks for the first
    with fleet.server.client() as client:
        made = client.post("/v1/projects", json={"name": "App", "repository": str(repo.origin)})
        assert made.status_code == 201, made.text
        triggered = client.post("/v1/projects/app/pipelines", json={"revision": first})
        assert triggered.status_code == 201, triggered.text
        pipeline_id = triggered.json()["id"]
        deadline = time.monotonic() + 60
        while (pipeline := client.get(f"/v1/pipelines/{pipeline_id}").json())["status"] in (
            "queued",
            "running",
        ):
            assert time.monotonic() < deadline, pipeline
            time.sleep(0.1)
        assert pipeline["status"] == "complete", pipeline
        [run] = client.get("/v1/projects/app/runs").json()
        log = client.get(f"/v1/runs/{run['id']}/log").text
        assert log.startswith(f"[ishcd] checking out {first}\n"), log
        assert "one\n" in log
        assert "two\n" not in log
        assert f"rev={first}\n" in log
        read = client.get(f"/v1/runs/{run['id']}").json()
        assert [s["status"] for s in read["sections"]] == ["complete", "complete"]


def test_sigterm_lets_runs_finish_within_the_grace_then_stops_the_rest(
    fleet_factory: Any,
) -> None:
    fleet: Fleet = fleet_factory()
    agent = fleet.agent("a", concurrency=2, args=["--shutdown-grace", "4"])
    with fleet.server.client() as client:
        assert client.post("/v1/projects", json={"name": "ops"}).status_code == 201
        create_job(client, "ops", "short", "echo short starts; sleep 1; echo short ends")
        create_job(client, "ops", "long", "echo long starts; sleep 300")
        short = start_run(client, "ops", "short")
        long = start_run(client, "ops", "long")
        wait_for_log(client, short, "short starts\n")
        wait_for_log(client, long, "long starts\n")
        assert agent.stop() == 0  # SIGTERM
        done = client.get(f"/v1/runs/{short}").json()
        assert (done["status"], done["log"]) == ("complete", "short starts\nshort ends\n")
        stopped = client.get(f"/v1/runs/{long}").json()
        assert (stopped["status"], stopped["error_reason"]) == ("error", "runner_lost")
        # Ended by the agent itself, not given up by the server later.
        assert "[ishcd] the runner is shutting down: stopping its processes\n" in stopped["log"]
