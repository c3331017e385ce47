"""Real processes end to end: live logs, crashes, restarts, big output."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveServer, guards_of, needs_curl, wait_for_run


def setup_job(server: LiveServer, script: str, name: str = "j") -> None:
    with server.client() as client:
        if client.get("/v1/projects/ops").status_code == 404:
            assert client.post("/v1/projects", json={"name": "ops"}).status_code == 201
        response = client.post("/v1/projects/ops/jobs", json={"name": name, "script": script})
        assert response.status_code == 201, response.text


def start(server: LiveServer, name: str = "j") -> str:
    with server.client() as client:
        response = client.post(f"/v1/projects/ops/jobs/{name}/runs")
        assert response.status_code == 201
        return str(response.json()["id"])


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


@needs_curl
def test_curl_follows_the_log_live_until_the_run_ends(live_server: LiveServer) -> None:
    setup_job(live_server, "echo one; sleep 1; echo two; sleep 1; echo three")
    run_id = start(live_server)
    url = f"{live_server.url}/v1/runs/{run_id}/log?follow=1"
    began = time.monotonic()
    curl = subprocess.Popen(
        ["curl", "-sN", "-H", f"Authorization: Bearer {live_server.token}", url],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert curl.stdout is not None
    arrivals = []
    for line in curl.stdout:
        arrivals.append((line, time.monotonic() - began))
    curl.wait(10)
    curl.stdout.close()
    assert [line for line, _ in arrivals] == ["one\n", "two\n", "three\n"]
    # "one" arrives while the run still has two seconds to go: streamed, not buffered.
    assert arrivals[0][1] < arrivals[2][1] - 1.0
    assert curl.returncode == 0
    with live_server.client() as client:
        assert client.get(f"/v1/runs/{run_id}").json()["status"] == "complete"


def test_follow_from_an_offset_of_a_finished_run(live_server: LiveServer) -> None:
    setup_job(live_server, "echo abcdef")
    run_id = start(live_server)
    with live_server.client() as client:
        wait_for_run(client, run_id)
        response = client.get(f"/v1/runs/{run_id}/log", params={"follow": 1, "offset": 3})
    assert response.text == "def\n"


@pytest.mark.parametrize("guard_killed_too", [False, True], ids=["server", "server-and-guard"])
def test_a_crash_loses_no_run(
    live_server_factory: object, tmp_path: Path, guard_killed_too: bool
) -> None:
    server = live_server_factory(ISHCD_RUNNER_SLOTS="1")  # type: ignore[operator]
    pid_file = tmp_path / "pid"
    setup_job(server, f"echo $$ > {pid_file}; echo working; sleep 300", name="long")
    setup_job(server, "echo queued-ran", name="next")
    long_run = start(server, "long")
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        time.sleep(0.05)
    queued_run = start(server, "next")
    script_pid = int(pid_file.read_text())
    if guard_killed_too:
        assert server.process is not None
        for guard in guards_of(server.process.pid):
            os.kill(guard, signal.SIGKILL)
        server.kill()
        assert alive(script_pid)  # nothing was left to end the script...
    else:
        server.kill()
        assert gone_soon(script_pid)  # the run guard ended it with its server
    server.start()
    with server.client() as client:
        lost = wait_for_run(client, long_run)
        assert lost["status"] == "error"
        assert lost["error_reason"] == "runner_lost"
        assert lost["log"].startswith("working\n")
        ran = wait_for_run(client, queued_run)
        assert ran["status"] == "complete"
        assert ran["log"] == "queued-ran\n"
    assert not alive(script_pid)  # ...but the restarted server cleaned it up


def gone_soon(pid: int) -> bool:
    for _ in range(200):
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@needs_curl
def test_a_gigabyte_of_output_does_not_grow_the_server(live_server: LiveServer) -> None:
    """Through the default 100 MiB cap: 50 MiB of head, the dropped-bytes line, 50 MiB of tail."""
    process = live_server.process
    assert process is not None
    setup_job(live_server, "head -c 1073741824 /dev/zero | tr '\\0' x; echo; echo end")
    run_id = start(live_server)
    before = peak_rss_kib(process.pid)
    cap = 100 * 1024 * 1024
    dropped = 1073741824 + 5 - cap
    line = (
        f"\n[ishcd] {dropped} bytes of log dropped here (the log passed its cap of {cap} bytes)\n"
    )
    stored = cap + len(line)
    with live_server.client() as client:
        run = wait_for_run(client, run_id, timeout=240)
        assert run["status"] == "complete"
        assert run["log_truncated"] is True
        assert run["log"].endswith("x\nend\n")
        tail = client.get(f"/v1/runs/{run_id}/log", params={"offset": stored - 8})
        assert tail.text == "xxx\nend\n"
        middle = client.get(f"/v1/runs/{run_id}/log", params={"offset": cap // 2 - 2})
        assert middle.content[: 2 + len(line)] == b"xx" + line.encode()
    # The whole log, streamed to curl.
    size = subprocess.run(
        [
            "curl",
            "-s",
            "-H",
            f"Authorization: Bearer {live_server.token}",
            f"{live_server.url}/v1/runs/{run_id}/log",
            "-o",
            "/dev/null",
            "-w",
            "%{size_download}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    ).stdout
    assert int(size) == stored
    grown_mib = (peak_rss_kib(process.pid) - before) / 1024
    assert grown_mib < 64, f"server peak memory grew by {grown_mib:.0f} MiB"
    os.sync()
