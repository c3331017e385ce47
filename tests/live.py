"""A real ``ishcd server`` process for the e2e and browser tiers."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ISHCD = [sys.executable, "-m", "ishcd"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A running ``ishcd server``; ``restart`` and ``kill`` keep its data."""

    data_dir: Path
    port: int
    database_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None  # where the server starts (a relative data dir is taken from here)
    command: list[str] = field(default_factory=lambda: list(ISHCD))
    process: subprocess.Popen[str] | None = None
    # The first admin, as the server prints it on first start.
    username: str = ""
    token: str = ""
    password: str = ""
    output: list[str] = field(default_factory=list)
    _drainer: threading.Thread = field(default_factory=lambda: threading.Thread())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """Environment for ishcd commands aimed at this server (client and admin)."""
        env = {**os.environ, "ISHCD_URL": self.url, "ISHCD_TOKEN": self.token}
        env["ISHCD_DATA_DIR"] = str(self.data_dir)
        env["ISHCD_SECRET_KEY"] = "e2e-secret-key"
        # Client commands never read or write the real ~/.config/ishcd.
        env["ISHCD_CONFIG"] = str(self.data_dir.parent / "ishcd-cli-config.json")
        if self.database_url:
            env["ISHCD_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 30) -> None:
        args = [*self.command, "server", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        self.process = subprocess.Popen(
            args,
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                self.process.wait()
                self.process.stdout.close()  # a failed start leaves no open pipe behind
                raise AssertionError("server exited:\n" + "".join(self.output))
            self.output.append(line)
            if match := re.search(r"user:\s+(\S+)", line):
                self.username = match.group(1)
            if match := re.search(r"API token: (\S+)", line):
                self.token = match.group(1)
            if match := re.search(r"password:\s+(\S+)", line):
                self.password = match.group(1)
            if "Uvicorn running on" in line:  # after startup, once the socket is bound
                break
        else:
            raise AssertionError("server did not start:\n" + "".join(self.output))
        # Keep draining output so the server never blocks on a full pipe.
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self) -> None:
        process = self.process
        assert process is not None
        assert process.stdout is not None
        for line in process.stdout:
            self.output.append(line)

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._drainer.join(5)
        assert self.process.stdout is not None
        self.process.stdout.close()
        self.process = None

    def kill(self) -> None:
        """Crash the server: SIGKILL, no shutdown at all."""
        self.stop(signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def ishcd(
        self, *args: str, check: bool = True, **kwargs: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run an ``ishcd`` command aimed at this server."""
        result = subprocess.run(
            [*ISHCD, *args], env=self.env, capture_output=True, text=True, timeout=120, **kwargs
        )
        if check and result.returncode != 0:
            raise AssertionError(f"ishcd {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result


def wait_for_run(client: httpx.Client, run_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = client.get(f"/v1/runs/{run_id}").json()
        if run["status"] in ("complete", "error"):
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run still {run['status']} after {timeout}s")
        time.sleep(0.05)
