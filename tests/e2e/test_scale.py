"""Two replicas on one PostgreSQL and agents behind a load balancer: every run once, none lost.

Real processes all through: two ``ishcd server`` replicas (no embedded runner)
on a fresh database, a TCP load balancer in front of them (``tests.tcp_proxy``),
and ``ishcd runner`` agents that reach the replicas only through it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.cluster import Cluster, wait_until
from tests.e2e.agents import Agent, create_job, registration_token
from tests.tcp_proxy import TcpProxy, proxy_to

pytestmark = pytest.mark.xdist_group("cluster")

# Each run says who it is in a shared file (exactly once: no id twice, none missing)
# and prints a log long enough to come in several chunks.
SCRIPT = 'echo "$ISHCD_RUN_ID" >> "$LEDGER"\necho "run $ISHCD_RUN_ID"\nseq 1 2000\n'


@contextmanager
def fleet(
    tmp_path: Path, agents: int, concurrency: int, **env: str
) -> Iterator[tuple[Cluster, TcpProxy, list[Agent]]]:
    """Two replicas without runners, a balancer before them, ``agents`` agents behind it."""
    settings = {"ISHCD_RUNNER_SLOTS": "0", "ISHCD_RUNNER_LOST_AFTER": "10", **env}
    with ExitStack() as stack:
        cluster = stack.enter_context(Cluster(tmp_path, replicas=2, **settings))
        first, second = cluster
        balancer = stack.enter_context(
            proxy_to("127.0.0.1", first.port, ("127.0.0.1", second.port))
        )
        token = registration_token(first)
        url = f"http://127.0.0.1:{balancer.port}"
        started = []
        for index in range(agents):
            agent = Agent(url, token, tmp_path / f"agent-{index}", f"agent-{index}")
            agent.concurrency = concurrency
            stack.callback(agent.kill)
            agent.start()
            started.append(agent)
        yield cluster, balancer, started


def _unfinished(client: httpx.Client) -> int:
    total = 0
    for status in ("queued", "running"):
        answer = client.get("/v1/projects/scale/runs", params={"status": status, "per_page": 1})
        assert answer.status_code == 200, answer.text
        total += len(answer.json())
    return total


def _start_runs(clients: list[httpx.Client], count: int) -> list[str]:
    ids = []
    for index in range(count):
        answer = clients[index % len(clients)].post("/v1/projects/scale/jobs/work/runs")
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


def _check_every_run_once(ledger: Path, ids: list[str], clients: list[httpx.Client]) -> None:
    ran = ledger.read_text().split()
    assert len(ran) == len(set(ran)), "a run executed twice"
    assert sorted(ran) == sorted(ids), "a run is missing"
    expected = "".join(f"{n}\n" for n in range(1, 2001))
    for run_id in ids:
        logs = [client.get(f"/v1/runs/{run_id}/log").text for client in clients]
        assert logs[0] == f"run {run_id}\n{expected}", run_id
        assert logs[1] == logs[0], f"the replicas serve different logs of {run_id}"
        run = clients[1].get(f"/v1/runs/{run_id}").json()
        assert run["status"] == "complete", run


def test_500_runs_through_two_replicas_and_three_agents_each_execute_once(
    tmp_path: Path,
) -> None:
    ledger = tmp_path / "ledger"
    with fleet(tmp_path, agents=3, concurrency=4) as (cluster, _balancer, _agents):
        first, second = cluster
        with first.client() as a, second.client() as b:
            assert a.post("/v1/projects", json={"name": "Scale"}).status_code == 201
            create_job(a, "scale", "work", SCRIPT.replace("$LEDGER", str(ledger)))
            ids = _start_runs([a, b], 500)
            wait_until(lambda: _unfinished(a) == 0, "every run finished", timeout=300)
            _check_every_run_once(ledger, ids, [a, b])
        assert not cluster.tracebacks()


def test_agents_carry_on_through_the_other_replica_when_one_is_killed(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    with fleet(tmp_path, agents=2, concurrency=3) as (cluster, _balancer, agents):
        first, second = cluster
        with first.client() as a:
            assert a.post("/v1/projects", json={"name": "Scale"}).status_code == 201
            script = "sleep 1\n" + SCRIPT.replace("$LEDGER", str(ledger))
            create_job(a, "scale", "work", script)
            ids = _start_runs([a], 30)
        time.sleep(1.5)  # runs are going on the agents
        cluster.kill(0)
        with second.client() as b:
            wait_until(lambda: _unfinished(b) == 0, "every run finished", timeout=120)
            ran = ledger.read_text().split()
            assert sorted(ran) == sorted(ids)
            expected = "".join(f"{n}\n" for n in range(1, 2001))
            for run_id in ids:
                run = b.get(f"/v1/runs/{run_id}").json()
                assert run["status"] == "complete", run
                assert b.get(f"/v1/runs/{run_id}/log").text == f"run {run_id}\n{expected}"
        for agent in agents:
            assert agent.process is not None
            assert agent.process.poll() is None, agent.log()
