"""Runner agents when parts die: an agent killed, the server restarted, the agent's buffer
full while the server is away, the agent's network cut (in a network namespace)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.agent_fixtures import agent_database, fleet_factory
from tests.e2e.agents import Fleet, create_job, start_run, wait_for_log
from tests.live import wait_for_run

__all__ = ["agent_database", "fleet_factory"]


def runner_client(url: str, credential: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {credential}"}
    return httpx.Client(base_url=f"{url}/v1/runner", headers=headers, timeout=30)


def test_an_agent_killed_mid_run_loses_it_and_a_retry_completes_on_another(
    fleet_factory: Any, tmp_path: Path
) -> None:
    fleet: Fleet = fleet_factory(ISHCD_RUNNER_LOST_AFTER="3")
    first = fleet.agent("first", concurrency=2)
    ran, flag = tmp_path / "ran.txt", tmp_path / "slept-once"
    retried = (
        f'echo "$ISHCD_RUN_ID $ISHCD_WORKSPACE" >> {ran}\n'
        f"echo attempt starts\n"
        f"if [ ! -e {flag} ]; then touch {flag}; sleep 300; fi\n"
        "echo attempt ends\n"
    )
    with fleet.server.client() as client:
        assert client.post("/v1/projects", json={"name": "ops"}).status_code == 201
        create_job(client, "ops", "plain", "echo plain starts; sleep 300")
        create_job(client, "ops", "retried", retried, retry={"count": 1, "only_lost": True})
        plain = start_run(client, "ops", "plain")
        again = start_run(client, "ops", "retried")
        wait_for_log(client, plain, "plain starts\n")
        wait_for_log(client, again, "attempt starts\n")
        dead = first.credential
        offset = len(client.get(f"/v1/runs/{again}/log").content)
        first.kill()

        lost = wait_for_run(client, plain, timeout=60)
        assert (lost["status"], lost["error_reason"]) == ("error", "runner_lost")
        second = fleet.agent("second")
        done = wait_for_run(client, again, timeout=60)
        assert (done["status"], done["exit_code"]) == ("complete", 0), done
        log = client.get(f"/v1/runs/{again}/log").text
        assert log.startswith("attempt starts\n"), log
        assert log.endswith("attempt starts\nattempt ends\n"), log
        assert "attempt 2 of 2" in log
        workspaces = [line.split()[1] for line in ran.read_text().splitlines()]
        assert len(workspaces) == 2
        assert Path(workspaces[0]).is_relative_to(first.work_dir)
        assert Path(workspaces[1]).is_relative_to(second.work_dir)

    # The dead agent's late writes, replayed with its credential and its attempt: refused.
    with runner_client(fleet.server.url, dead["credential"]) as late:
        for run_id in (again, plain):
            put = late.put(
                f"/jobs/{run_id}/log",
                params={"attempt": 1, "offset": offset},
                content=b"late output\n",
                headers={"Content-Type": "application/octet-stream"},
            )
            assert put.status_code == 409, put.text
            beat = late.post(f"/jobs/{run_id}/heartbeat", json={"attempt": 1})
            assert beat.status_code == 409, beat.text
            body = {"attempt": 1, "exit_code": 0, "error_reason": None, "log_size": offset}
            finish = late.post(f"/jobs/{run_id}/finish", json=body)
            assert finish.status_code == 409, finish.text
    with fleet.server.client() as client:
        assert client.get(f"/v1/runs/{again}/log").text == log
        assert client.get(f"/v1/runs/{again}").json()["status"] == "complete"


def test_a_server_restarted_mid_run_gets_the_whole_log(fleet_factory: Any) -> None:
    fleet: Fleet = fleet_factory(ISHCD_RUNNER_LOST_AFTER="60")
    agent = fleet.agent("a")
    lines = 40
    with fleet.server.client() as client:
        assert client.post("/v1/projects", json={"name": "ops"}).status_code == 201
        script = f"for i in $(seq 1 {lines}); do echo line $i; sleep 0.3; done"
        create_job(client, "ops", "long", script)
        run_id = start_run(client, "ops", "long")
        wait_for_log(client, run_id, "line 3\n")
    fleet.server.stop()
    time.sleep(3)
    fleet.server.start()
    with fleet.server.client() as client:
        done = wait_for_run(client, run_id, timeout=90)
        assert (done["status"], done["exit_code"]) == ("complete", 0), done
        assert client.get(f"/v1/runs/{run_id}/log").text == "".join(
            f"line {i}\n" for i in range(1, lines + 1)
        )
        # The agent carries on with the next run.
        create_job(client, "ops", "after", "echo after the restart")
        after = wait_for_run(client, start_run(client, "ops", "after"), timeout=60)
        assert after["log"] == "after the restart\n"
    assert "retrying" in agent.log()
    assert "Traceback" not in agent.log()


DROP_LINE = re.compile(r"\[ishcd\] (\d+) bytes of output dropped here: [^\n]*\n")


def test_output_past_the_buffer_while_the_server_is_away_keeps_head_and_tail(
    fleet_factory: Any, tmp_path: Path
) -> None:
    fleet: Fleet = fleet_factory(ISHCD_RUNNER_LOST_AFTER="60")
    buffer = 65536
    agent = fleet.agent("a", args=["--buffer-bytes", str(buffer)])
    flag = tmp_path / "go"
    count = 200_000
    script = f"echo start; while [ ! -e {flag} ]; do sleep 0.1; done; seq 1 {count}; echo end"
    with fleet.server.client() as client:
        assert client.post("/v1/projects", json={"name": "ops"}).status_code == 201
        create_job(client, "ops", "loud", script)
        run_id = start_run(client, "ops", "loud")
        wait_for_log(client, run_id, "start\n")
    fleet.server.stop()
    flag.touch()  # the script prints ~1.3 MB while the server is away
    agent.wait_for("failed, retrying")
    time.sleep(3)
    fleet.server.start()
    with fleet.server.client() as client:
        done = wait_for_run(client, run_id, timeout=90)
        assert (done["status"], done["exit_code"]) == ("complete", 0), done
        log = client.get(f"/v1/runs/{run_id}/log").text
    whole = "start\n" + "".join(f"{i}\n" for i in range(1, count + 1)) + "end\n"
    [line] = list(DROP_LINE.finditer(log))
    head, tail, dropped = log[: line.start()], log[line.end() :], line.group(1)
    if not head.endswith("\n"):
        raise AssertionError(f"the line saying what was dropped starts a line: {head[-20:]!r}")
    if not whole.startswith(head):  # cut mid-line: the line's own newline ends the head
        head = head[:-1]
    assert whole.startswith(head)
    assert len(head) >= buffer // 4
    assert whole.endswith(tail)
    assert len(tail) >= buffer // 4
    assert int(dropped) == len(whole) - len(head) - len(tail)
    assert len(log) < buffer * 2
    assert "Traceback" not in agent.log()


class Namespace:
    """A network namespace joined to the host by a veth pair; ``cut``/``restore`` the link."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:6]
        self.name = f"ishcd-{tag}"
        self.host_link, self.inner_link = f"ish{tag}h", f"ish{tag}a"
        octet = int(tag[:2], 16)
        self.host_ip, self.inner_ip = f"10.213.{octet}.1", f"10.213.{octet}.2"

    def ip(self, *args: str, inside: bool = False) -> None:
        prefix = ["ip", "netns", "exec", self.name] if inside else []
        subprocess.run([*prefix, "ip", *args], check=True, capture_output=True, timeout=30)

    def create(self) -> None:
        self.ip("netns", "add", self.name)
        self.ip("link", "add", self.host_link, "type", "veth", "peer", "name", self.inner_link)
        self.ip("link", "set", self.inner_link, "netns", self.name)
        self.ip("addr", "add", f"{self.host_ip}/30", "dev", self.host_link)
        self.ip("link", "set", self.host_link, "up")
        self.ip("addr", "add", f"{self.inner_ip}/30", "dev", self.inner_link, inside=True)
        self.ip("link", "set", self.inner_link, "up", inside=True)
        self.ip("link", "set", "lo", "up", inside=True)

    def cut(self) -> None:
        self.ip("link", "set", self.host_link, "down")

    def restore(self) -> None:
        self.ip("link", "set", self.host_link, "up")

    def delete(self) -> None:
        subprocess.run(["ip", "link", "del", self.host_link], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=30)


def namespaces_problem() -> str | None:
    """Why this machine cannot make network namespaces, or None."""
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2)"
    if os.geteuid() != 0:
        return "not root: `ip netns add` needs CAP_SYS_ADMIN"
    probe = Namespace()
    try:
        probe.create()
    except subprocess.CalledProcessError as exc:
        return f"`ip` could not make a namespace: {exc.stderr.decode().strip()}"
    finally:
        probe.delete()
    return None


@pytest.fixture
def namespace() -> Iterator[Namespace]:
    problem = namespaces_problem()
    if problem is not None:
        pytest.skip(f"the agent's network cannot be cut on this machine: {problem}")
    made = Namespace()
    made.create()
    try:
        yield made
    finally:
        made.delete()


CUT_SECONDS = 20


def test_an_agent_whose_network_is_cut_for_a_while_finishes_its_run_with_the_whole_log(
    fleet_factory: Any, namespace: Namespace
) -> None:
    # The server listens where the namespace reaches it too; its lease outlasts the cut.
    fleet: Fleet = fleet_factory(ISHCD_HOST="0.0.0.0", ISHCD_RUNNER_LOST_AFTER="90")
    agent = fleet.agent("far", start=False, prefix=["ip", "netns", "exec", namespace.name])
    agent.url = f"http://{namespace.host_ip}:{fleet.server.port}"
    agent.start()
    lines = 2 * (CUT_SECONDS + 10)
    with fleet.server.client() as client:
        assert client.post("/v1/projects", json={"name": "ops"}).status_code == 201
        create_job(
            client, "ops", "steady", f"for i in $(seq 1 {lines}); do echo line $i; sleep 0.5; done"
        )
        run_id = start_run(client, "ops", "steady")
        wait_for_log(client, run_id, "line 2\n")
        namespace.cut()
        time.sleep(CUT_SECONDS)
        during = client.get(f"/v1/runs/{run_id}").json()
        assert during["status"] == "running"
        namespace.restore()
        done = wait_for_run(client, run_id, timeout=120)
        assert (done["status"], done["exit_code"]) == ("complete", 0), done
        assert client.get(f"/v1/runs/{run_id}/log").text == "".join(
            f"line {i}\n" for i in range(1, lines + 1)
        )
    assert "retrying" in agent.log()
    assert "Traceback" not in agent.log()
