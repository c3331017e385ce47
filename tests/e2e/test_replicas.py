"""Two ``ishcd server`` replicas on one PostgreSQL: real processes, real runners.

Every run's script appends its id and its workspace (which says the replica
that ran it) to one shared file, so "each run executed exactly once" is read
from what really ran. Timings are set so that only the cross-replica wake-up
can explain a result: claim polling of two minutes, heartbeats a minute
apart.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cluster import Cluster, wait_until
from tests.live import wait_for_run

pytestmark = pytest.mark.xdist_group("replicas")

SLOW_POLL = {"ISHCD_RUNNER_CLAIM_POLL": "120", "ISHCD_HEARTBEAT_INTERVAL": "60"}


def ran_where(record: Path) -> dict[str, list[str]]:
    """Run id -> the replica data dirs whose runner ran it (once each, when all is well)."""
    where: dict[str, list[str]] = {}
    if record.exists():
        for line in record.read_text().splitlines():
            run_id, workspace = line.split(" ", 1)
            where.setdefault(run_id, []).append(workspace.split("/runs/")[0].rsplit("/", 1)[1])
    return where


def job(client: httpx.Client, script: str, name: str = "j") -> str:
    if client.get("/v1/projects/p").status_code == 404:
        assert client.post("/v1/projects", json={"name": "p"}).status_code == 201
    response = client.post("/v1/projects/p/jobs", json={"name": name, "script": script})
    assert response.status_code == 201, response.text
    return f"/v1/projects/p/jobs/{name}/runs"


def queue(client: httpx.Client, runs: str) -> str:
    response = client.post(runs)
    assert response.status_code == 201, response.text
    run_id: str = response.json()["id"]
    return run_id


def status(client: httpx.Client, run_id: str) -> str:
    state: str = client.get(f"/v1/runs/{run_id}").json()["status"]
    return state


def test_a_run_queued_on_one_replica_is_woken_on_the_other(tmp_path: Path) -> None:
    record = tmp_path / "ran"
    with Cluster(tmp_path, replicas=0, **SLOW_POLL) as cluster:
        cluster.add(ISHCD_RUNNER_SLOTS="0")
        cluster.add(ISHCD_RUNNER_SLOTS="1")
        cluster.wait_connected()
        with cluster.client(0) as a, cluster.client(1) as b:
            runs = job(a, f'echo "$ISHCD_RUN_ID $PWD" >> {record}')
            # Replica 1's slot looks for work every two minutes: each run starts
            # long before that only because replica 0's queueing woke it.
            for _ in range(3):
                run_id = queue(a, runs)
                assert wait_for_run(a, run_id, timeout=60)["status"] == "complete"
                assert ran_where(record)[run_id] == ["replica-1"]

            # A log follower on replica 0 (Server-Sent Events) follows a run that
            # replica 1 runs (the log is in the database), to its end.
            talker = job(b, "echo one; sleep 1; echo two", name="talker")
            run_id = queue(b, talker)
            headers = {"Accept": "text/event-stream"}
            with a.stream("GET", f"/v1/runs/{run_id}/log", headers=headers) as stream:
                assert stream.status_code == 200
                events = "".join(stream.iter_text())
            assert events.count("event: log") >= 1
            assert "one" in events
            assert "two" in events
            assert "event: status" in events
            assert '"status": "complete"' in events


def test_a_cancel_on_one_replica_stops_the_run_on_the_other(tmp_path: Path) -> None:
    with Cluster(tmp_path, replicas=0, **SLOW_POLL, ISHCD_RUNNER_LOST_AFTER="600") as cluster:
        cluster.add(ISHCD_RUNNER_SLOTS="0")
        cluster.add(ISHCD_RUNNER_SLOTS="1", ISHCD_KILL_GRACE="1")
        cluster.wait_connected()
        with cluster.client(0) as a, cluster.client(1) as b:
            run_id = queue(b, job(b, "echo started; sleep 300"))
            wait_until(lambda: status(a, run_id) == "running", "the run runs on replica 1")
            time.sleep(0.5)  # its heartbeat loop waits (a minute) for a cancel now
            canceled = a.post(f"/v1/runs/{run_id}/cancel")
            assert canceled.status_code == 200, canceled.text
            # The next heartbeat is a minute away: only the cancel's wake-up stops it.
            ended = wait_for_run(a, run_id, timeout=30)
            assert (ended["status"], ended["error_reason"]) == ("error", "canceled")


class Held(threading.Thread):
    """One long-polling request of an agent, on a thread of its own."""

    def __init__(self, agent: httpx.Client, path: str, body: dict[str, Any]):
        super().__init__(daemon=True)
        self.agent, self.path, self.body = agent, path, body
        self.response: httpx.Response | None = None

    def run(self) -> None:
        self.response = self.agent.post(self.path, json=self.body)

    def answer(self, within: float) -> httpx.Response:
        self.join(within)
        assert self.response is not None, f"no answer within {within} s"
        return self.response


def test_an_agent_on_one_replica_hears_of_work_and_cancels_on_the_other(tmp_path: Path) -> None:
    with Cluster(tmp_path, replicas=2, ISHCD_RUNNER_SLOTS="0") as cluster:
        cluster.wait_connected()
        with cluster.client(0) as a:
            made = a.post("/v1/runners/registration-tokens", json={"description": "agents"})
            assert made.status_code == 201, made.text
            body = {"token": made.json()["token"], "name": "far", "version": "test"}
            registered = httpx.post(f"{cluster[1].url}/v1/runner/register", json=body)
            assert registered.status_code == 201, registered.text
            credential = registered.json()["credential"]
            runs = job(a, "sleep 300")
            with httpx.Client(
                base_url=cluster[1].url,
                headers={"Authorization": f"Bearer {credential}"},
                timeout=60,
            ) as agent:
                # Held on replica 1 with nothing to do; answered only by a wake-up
                # (after its 30 s, a held request answers 204 without looking again).
                held = Held(agent, "/v1/runner/jobs/request", {"slot": "0", "wait": 30})
                held.start()
                time.sleep(1)
                run_id = queue(a, runs)
                got = held.answer(25)
                assert got.status_code == 200, got.text
                assert got.json()["run_id"] == run_id
                attempt = got.json()["attempt"]

                control = f"/v1/runner/jobs/{run_id}/control"
                held = Held(agent, control, {"attempt": attempt, "wait": 30})
                held.start()
                time.sleep(1)
                assert a.post(f"/v1/runs/{run_id}/cancel").status_code == 200
                answer = held.answer(25)  # well before the 30 s the request may be held
                assert answer.status_code == 200, answer.text
                assert answer.json()["control"] == "cancel"


def test_two_replicas_run_each_of_300_runs_exactly_once(tmp_path: Path) -> None:
    record = tmp_path / "ran"
    count = 300
    with Cluster(tmp_path, replicas=2, ISHCD_RUNNER_SLOTS="2") as cluster:
        cluster.wait_connected()
        with cluster.client(0) as a, cluster.client(1) as b:
            runs = job(a, f'echo "$ISHCD_RUN_ID $PWD" >> {record}')
            queued = [queue((a, b)[index % 2], runs) for index in range(count)]

            def finished() -> bool:
                return len(ran_where(record)) == count

            wait_until(finished, f"{count} runs ran", timeout=120)
            where = ran_where(record)
            assert set(where) == set(queued)
            assert [run for run, replicas in where.items() if len(replicas) != 1] == []
            by_replica = Counter(replicas[0] for replicas in where.values())
            assert set(by_replica) == {"replica-0", "replica-1"}, by_replica
            for index, run_id in enumerate(queued):
                client = (a, b)[index % 2]
                assert wait_for_run(client, run_id)["status"] == "complete"


def test_when_the_leader_is_killed_another_replica_reaps_its_runs(tmp_path: Path) -> None:
    lost = {"ISHCD_HEARTBEAT_INTERVAL": "1", "ISHCD_RUNNER_LOST_AFTER": "4"}
    with Cluster(tmp_path, replicas=0, **lost) as cluster:
        cluster.add(ISHCD_RUNNER_SLOTS="1")
        wait_until(lambda: cluster.leader() == 0, "the first replica leads")
        cluster.add(ISHCD_RUNNER_SLOTS="0")
        with cluster.client(1) as b:
            run_id = queue(b, job(b, "echo started; sleep 300"))
            wait_until(lambda: status(b, run_id) == "running", "the run runs on the leader")
            assert cluster.leader() == 0
            cluster.kill(0)
            wait_until(lambda: cluster.leader() == 1, "the other replica leads")
            ended = wait_for_run(b, run_id, timeout=30)
            assert (ended["status"], ended["error_reason"]) == ("error", "runner_lost")

            # Back on its data dir, the killed replica runs again; the other goes on leading.
            cluster.start(0)
            cluster.wait_connected()
            again = queue(b, job(b, "echo again", name="again"))
            assert wait_for_run(b, again)["status"] == "complete"
            assert cluster.leader() == 1
    output = "".join(cluster[1].output)
    assert "this server leads now" in output


class Prober(threading.Thread):
    """Asks every replica for a run, again and again, noting each answer."""

    def __init__(self, cluster: Cluster, run_id: str):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.run_id = run_id
        self.stop = threading.Event()
        self.answers: Counter[int] = Counter()
        self.bad: list[str] = []

    def run(self) -> None:
        clients = [server.client() for server in self.cluster]
        try:
            while not self.stop.is_set():
                for client in clients:
                    try:
                        response = client.get(f"/v1/runs/{self.run_id}")
                    except httpx.TransportError as exc:
                        self.bad.append(repr(exc))
                        continue
                    self.answers[response.status_code] += 1
                    if response.status_code == 503:
                        self.check_unavailable(response)
                    elif response.status_code != 200:
                        self.bad.append(f"{response.status_code} {response.text}")
                time.sleep(0.02)
        finally:
            for client in clients:
                client.close()

    def check_unavailable(self, response: httpx.Response) -> None:
        body: dict[str, Any] = response.json()
        if not response.headers.get("retry-after", "").isdigit():
            self.bad.append(f"503 without Retry-After: {response.headers}")
        leaks = ("asyncpg", "postgres", "connection", "SELECT", "Error")
        if body.get("errors") != [] or any(leak in response.text for leak in leaks):
            self.bad.append(f"503 says too much: {response.text}")


def test_runs_ride_out_every_connection_being_cut_for_10_seconds(tmp_path: Path) -> None:
    record = tmp_path / "ran"
    count = 50
    with Cluster(tmp_path, replicas=2, ISHCD_RUNNER_SLOTS="2") as cluster:
        cluster.wait_connected()
        with cluster.client(0) as a, cluster.client(1) as b:
            runs = job(a, f'sleep 0.5; echo "$ISHCD_RUN_ID $PWD" >> {record}')
            queued = [queue((a, b)[index % 2], runs) for index in range(count)]
            wait_until(lambda: len(ran_where(record)) >= 4, "the first runs ran")
            prober = Prober(cluster, queued[0])
            prober.start()
            cut_until = time.monotonic() + 10
            cuts = 0
            while time.monotonic() < cut_until:
                cuts += cluster.terminate_connections()
                time.sleep(0.1)
            prober.stop.set()
            prober.join(30)
            assert cuts > 0
            assert prober.bad == [], cluster.tracebacks()
            assert prober.answers[503] > 0, prober.answers

            wait_until(lambda: len(ran_where(record)) == count, f"{count} runs ran", timeout=90)
            where = ran_where(record)
            assert set(where) == set(queued)
            assert [run for run, replicas in where.items() if len(replicas) != 1] == []
            ends: Counter[tuple[str, str | None]] = Counter()
            for run_id in queued:
                ended = wait_for_run(a, run_id, timeout=60)
                ends[(ended["status"], ended["error_reason"])] += 1
            assert ends == {("complete", None): count}
            # Both replicas listen for each other again.
            cluster.wait_connected()
    found = cluster.tracebacks()
    assert not found, found
