"""A server killed with -9 mid-run: the log's line index and step sections survive."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, wait_for_run

CONFIG = """\
version: 1
jobs:
  build:
    steps:
      - run: {name: numbers, command: "seq 1 20000 | sed 's/$/ some text/'; echo"}
      - run: {name: wait, command: "echo waiting; touch %s; sleep 300"}
workflows:
  main:
    jobs: [build]
"""


@pytest.mark.parametrize("cap", ["0", "60000"], ids=["no-cap", "in-the-tail"])
def test_a_crash_mid_run_keeps_lines_and_sections(
    live_server_factory: Any, tmp_path: Path, cap: str
) -> None:
    server: LiveServer = live_server_factory(ISHCD_LOG_MAX_BYTES=cap)
    waiting = tmp_path / "waiting"
    with server.client() as client:
        assert client.post("/v1/projects", json={"name": "ops"}).status_code == 201
        config = CONFIG % waiting
        response = client.post("/v1/projects/ops/pipelines", json={"config": config})
        assert response.status_code == 201, response.text
        for _ in range(600):
            if waiting.exists():
                break
            time.sleep(0.05)
        run_id = client.get("/v1/projects/ops/runs").json()[0]["id"]
        running = client.get(f"/v1/runs/{run_id}").json()
        assert [s["name"] for s in running["sections"]] == ["numbers", "wait"]
    server.kill()
    server.start()
    with server.client() as client:
        run = wait_for_run(client, run_id)
        assert run["error_reason"] == "runner_lost"
        raw = client.get(f"/v1/runs/{run_id}/log").content
        if cap != "0":
            assert b"bytes of log dropped here" in raw
        lines = raw.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        starts = [0]
        for line in lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        rng = random.Random(1)
        for first in [1, len(lines), *rng.sample(range(1, len(lines) + 1), 30)]:
            body = client.get(
                f"/v1/runs/{run_id}/log/lines", params={"from": first, "count": 3}
            ).json()
            assert body["total_lines"] == len(lines)
            assert body["offset"] == starts[first - 1]
            assert body["lines"] == [line.decode() for line in lines[first - 1 : first + 2]]
        tail = client.get(f"/v1/runs/{run_id}/log", params={"tail": 5000})
        start = int(tail.headers["X-Log-Offset"])
        assert int(tail.headers["X-Log-First-Line"]) == raw.count(b"\n", 0, start) + 1
        numbers, waiting_step = run["sections"]
        assert numbers["status"] == "complete"
        assert numbers["start"] == raw.index(b"[ishcd] step 1/2")
        assert waiting_step["status"] == "error"
        assert waiting_step["error_reason"] == "runner_lost"
        assert waiting_step["end"] == len(raw)
        assert waiting_step["start"] == raw.index(b"[ishcd] step 2/2")  # in the tail, if cut
