"""Starting and stopping the servers under test, each on a free port.

A server runs in a session of its own, so a Ctrl-C at the terminal reaches
only the bench, which then stops the server itself (SIGINT, uvicorn's
graceful shutdown; SIGKILL if that hangs). Its output is drained by a
thread from the start, so it never blocks on a full pipe and its last lines
can be shown when something goes wrong.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.exceptions import BenchError

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
READY_LINE = "Application startup complete"
TOKEN_LINE = re.compile(r"API token: (\S+)")
# The first admin, printed with the token on a first start.
FIRST_ADMIN_LINES = {
    "username": re.compile(r"user:\s+(\S+)"),
    "password": re.compile(r"password:\s+(\S+)"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env() -> dict[str, str]:
    """The bench's environment without ISHCD_* settings: the server runs on its defaults."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("ISHCD_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Server:
    """One server process: its URL, its output and (for Ish CD) its first API token."""

    def __init__(
        self,
        name: str,
        args: list[str],
        port: int,
        ready_path: str,
        env: dict[str, str] | None = None,
    ):
        self.name = name
        self.args = args
        self.env = {**clean_env(), **(env or {})}  # clean_env() and what the caller adds
        self.port = port
        self.ready_path = ready_path
        self.url = f"http://{HOST}:{port}"
        self.token = ""
        self.first_admin: dict[str, str] = {}  # username and password, on a first start
        self.output: deque[str] = deque(maxlen=200)
        self.process: subprocess.Popen[str] | None = None
        self._started = threading.Event()
        self._drainer: threading.Thread | None = None

    def tail(self) -> str:
        return "".join(self.output)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.args,
            cwd=REPO,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self._drainer = threading.Thread(target=self._drain, name=f"{self.name} output")
        self._drainer.daemon = True
        self._drainer.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._started.wait(0.05):
            self._check_alive()
            if time.monotonic() > deadline:
                raise BenchError(f"{self.name} did not start in {START_TIMEOUT:.0f} s")
        self._wait_listening(deadline)

    def _drain(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if match := TOKEN_LINE.search(line):
                self.token = match.group(1)
            for name, pattern in FIRST_ADMIN_LINES.items():
                if match := pattern.search(line):
                    self.first_admin.setdefault(name, match.group(1))
            if READY_LINE in line:
                self._started.set()

    def _check_alive(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            if self._drainer is not None:
                self._drainer.join(2)
            raise BenchError(
                f"{self.name} exited with status {self.process.returncode}:\n{self.tail()}"
            )

    def _wait_listening(self, deadline: float) -> None:
        """Uvicorn reports startup before it binds: wait until it answers."""
        while True:
            try:
                response = httpx.get(self.url + self.ready_path, timeout=2)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code == 200:
                return
            self._check_alive()
            if time.monotonic() > deadline:
                raise BenchError(f"{self.name} does not answer on {self.url}{self.ready_path}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Graceful stop (SIGINT), then SIGKILL for its whole session if that hangs."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"{self.name} did not stop in {STOP_TIMEOUT:.0f} s: killing it", flush=True)
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._drainer is not None:
            self._drainer.join(5)
        if process.stdout is not None:
            process.stdout.close()
        self.process = None


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        server.start()
        yield server
    except Exception as exc:
        process = server.process
        if isinstance(exc, BenchError) or process is None or process.poll() is None:
            raise
        raise BenchError(
            f"{server.name} exited with status {process.returncode} during the bench "
            f"({exc!r}):\n{server.tail()}"
        ) from exc
    finally:
        server.stop()


@contextmanager
def ishcd() -> Iterator[Server]:
    """``ishcd server`` on defaults (runner slots too), with a fresh data dir."""
    with (
        tempfile.TemporaryDirectory(prefix="ishcd-bench-", ignore_cleanup_errors=True) as data_dir,
        ishcd_at(Path(data_dir)) as server,
    ):
        if not server.token:
            raise BenchError(f"ishcd server printed no API token:\n{server.tail()}")
        yield server


@contextmanager
def ishcd_at(data_dir: Path) -> Iterator[Server]:
    """``ishcd server`` on defaults on ``data_dir``; its token is set on a first start only."""
    port = free_port()
    args = [sys.executable, "-m", "ishcd", "server", "--host", HOST, "--port", str(port)]
    server = Server("ishcd server", [*args, "--data-dir", str(data_dir)], port, "/v1/health")
    with running(server):
        yield server


@contextmanager
def bare() -> Iterator[Server]:
    """The bare FastAPI app of ``bench.bare_app``."""
    port = free_port()
    args = [sys.executable, "-m", "bench.bare_app", "--host", HOST, "--port", str(port)]
    with running(Server("bare FastAPI app", args, port, "/")) as server:
        yield server
