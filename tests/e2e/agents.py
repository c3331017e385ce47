"""Runner agents as real processes (``ishcd runner``), for the e2e tests and the bench."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.live import ISHCD, LiveServer

READY = "runs at once from"


def registration_token(server: LiveServer, description: str = "e2e agents") -> str:
    with server.client() as client:
        response = client.post("/v1/runners/registration-tokens", json={"description": description})
        assert response.status_code == 201, response.text
        return str(response.json()["token"])


@dataclass
class Agent:
    """One ``ishcd runner`` process; ``restart`` keeps its work dir (and its credential)."""

    url: str
    token: str | None
    work_dir: Path
    name: str = "agent"
    labels: list[str] = field(default_factory=list)
    concurrency: int = 1
    heartbeat_interval: float = 0.5
    args: list[str] = field(default_factory=list)
    prefix: list[str] = field(default_factory=list)  # e.g. ip netns exec NAME
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)
    _drainer: threading.Thread = field(default_factory=lambda: threading.Thread())

    def command(self) -> list[str]:
        args = [*self.prefix, *ISHCD, "runner", "--url", self.url, "--work-dir", str(self.work_dir)]
        args += ["--name", self.name, "--concurrency", str(self.concurrency)]
        args += ["--heartbeat-interval", str(self.heartbeat_interval), "--kill-grace", "2"]
        if self.labels:
            args += ["--labels", ",".join(self.labels)]
        return [*args, *self.args]

    def start(self, timeout: float = 60, ready: bool = True) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ISHCD_")}
        if self.token is not None:
            env["ISHCD_RUNNER_TOKEN"] = self.token
        self.output = []
        self.process = subprocess.Popen(
            self.command(),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        if ready:
            self.wait_for(READY, timeout)

    def _drain(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.output):
            if self.process is not None and self.process.poll() is not None:
                time.sleep(0.2)  # the last lines
                if any(text in line for line in self.output):
                    return
                raise AssertionError(f"the agent exited:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in the agent's output:\n{self.log()}")
            time.sleep(0.05)

    def log(self) -> str:
        return "".join(self.output)

    def wait(self, timeout: float = 60) -> int:
        assert self.process is not None
        code = self.process.wait(timeout)
        self._drainer.join(5)
        self._close()
        return code

    def _close(self) -> None:
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 60) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._drainer.join(5)
        self._close()
        code = self.process.returncode
        self.process = None
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    @property
    def credential(self) -> dict[str, Any]:
        saved: dict[str, Any] = json.loads((self.work_dir / "runner.json").read_text())
        return saved


def create_job(client: httpx.Client, project: str, name: str, script: str, **more: Any) -> None:
    response = client.post(
        f"/v1/projects/{project}/jobs", json={"name": name, "script": script, **more}
    )
    assert response.status_code == 201, response.text


def start_run(client: httpx.Client, project: str, job: str) -> str:
    response = client.post(f"/v1/projects/{project}/jobs/{job}/runs")
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def wait_for_log(client: httpx.Client, run_id: str, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        log = client.get(f"/v1/runs/{run_id}/log").text
        if text in log:
            return log
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not in the log of run {run_id}:\n{log[-2000:]}")
        time.sleep(0.1)


class Fleet:
    """A server on a database of the test's own, and the agents started against it."""

    def __init__(self, factory: Any, tmp_path: Path, database_url: str | None, **env: str):
        settings = {"ISHCD_RUNNER_SLOTS": "0", "ISHCD_RUNNER_LOST_AFTER": "3", **env}
        self.server: LiveServer = factory(database_url=database_url, **settings)
        self.tmp_path = tmp_path
        self.token = registration_token(self.server)
        self.agents: list[Agent] = []

    def agent(self, name: str = "agent", start: bool = True, **options: Any) -> Agent:
        made = Agent(self.server.url, self.token, self.tmp_path / f"agent-{name}", name, **options)
        self.agents.append(made)
        if start:
            made.start()
        return made

    def stop(self) -> None:
        for agent in self.agents:
            agent.stop(signal.SIGKILL)
