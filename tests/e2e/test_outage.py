"""A database outage: running scripts ride it out, the API says 503, readiness says down.

The server talks to the machine's PostgreSQL through a TCP proxy that the
test switches off for a while (new connections refused, open ones reset):
an outage without stopping the database anyone else uses.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.e2e.conftest import LiveServer, wait_for_run
from tests.tcp_proxy import proxy_to, through_proxy

OUTAGE_SECONDS = 12.0


def wait_for_log(client: httpx.Client, run_id: str, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in client.get(f"/v1/runs/{run_id}/log").text:
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not in the log of run {run_id} after {timeout}s")
        time.sleep(0.1)


class Follower(threading.Thread):
    """Follows a run's log live (``?follow=1``) on a connection of its own."""

    def __init__(self, server: LiveServer, run_id: str):
        super().__init__(daemon=True)
        self.server = server
        self.run_id = run_id
        self.received = b""
        self.started_streaming = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with (
                self.server.client() as client,
                client.stream("GET", f"/v1/runs/{self.run_id}/log?follow=1") as stream,
            ):
                assert stream.status_code == 200
                self.started_streaming.set()
                for chunk in stream.iter_bytes():
                    self.received += chunk
        except BaseException as exc:
            self.error = exc


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    assert response.headers["connection"] == "close"
    body = response.json()
    assert body["errors"] == []
    assert "unavailable" in body["message"]
    for leak in ("asyncpg", "connect", "refused", "postgres", "SELECT", "Error"):
        assert leak not in response.text


async def test_running_scripts_ride_out_a_postgresql_outage(
    live_server_factory: Any, empty_postgres_url: str
) -> None:
    target = urlsplit(empty_postgres_url)
    with proxy_to(target.hostname or "127.0.0.1", target.port or 5432) as proxy:
        server: LiveServer = live_server_factory(
            database_url=through_proxy(empty_postgres_url, proxy.port),
            ISHCD_RUNNER_SLOTS="3",  # one idle slot claims during the outage
            ISHCD_HEARTBEAT_INTERVAL="0.5",
            # Much shorter than the outage: runs are kept only if the reaper knows
            # their heartbeats could not be written.
            ISHCD_RUNNER_LOST_AFTER="5",
        )
        with server.client() as client:
            assert client.post("/v1/projects", json={"name": "ops"}).status_code == 201
            jobs = {
                # ends while the database is away: its end is recorded when it is back
                "fails": "echo before; sleep 3; echo during the outage; exit 3",
                # outlives the outage: heartbeats resume, it completes
                "passes": f"echo before; sleep {OUTAGE_SECONDS + 4}; echo after the outage",
            }
            for name, script in jobs.items():
                job = {"name": name, "script": script}
                assert client.post("/v1/projects/ops/jobs", json=job).status_code == 201
            runs = {
                name: client.post(f"/v1/projects/ops/jobs/{name}/runs").json()["id"]
                for name in jobs
            }
            for run_id in runs.values():
                wait_for_log(client, run_id, "before")
            follower = Follower(server, runs["passes"])
            follower.start()
            assert follower.started_streaming.wait(30)
            assert client.get("/v1/health/ready").json()["database"] == "ok"

            proxy.cut()
            cut_at = time.monotonic()
            assert_unavailable(client.get(f"/v1/runs/{runs['fails']}"))
            assert_unavailable(client.post("/v1/projects", json={"name": "during"}))
            # The same client goes on, on a new connection.
            assert client.get("/v1/health").status_code == 200
            ready = client.get("/v1/health/ready")
            assert ready.status_code == 503
            assert ready.json()["database"] == "down"
            assert ready.json()["status"] == "unavailable"
            time.sleep(max(0.0, cut_at + OUTAGE_SECONDS - time.monotonic()))
            proxy.restore()

            failed = wait_for_run(client, runs["fails"])
            assert (failed["status"], failed["error_reason"]) == ("error", "failed")
            assert failed["exit_code"] == 3
            assert failed["log"] == "before\nduring the outage\n"
            passed = wait_for_run(client, runs["passes"])
            assert (passed["status"], passed["exit_code"]) == ("complete", 0), passed
            assert passed["log"] == "before\nafter the outage\n"
            follower.join(30)
            assert follower.error is None, repr(follower.error)
            assert follower.received == b"before\nafter the outage\n"
            assert client.get("/v1/health/ready").status_code == 200
    output = "".join(server.output)
    assert "runner failure" not in output
    assert "Traceback" not in output
    assert output.count("retrying with back-off") >= 1
