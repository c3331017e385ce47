"""A job's cache through a remote agent (``ishcd runner`` as a real process): saved after
one run, restored before the next, both over the runner protocol (tests/api/test_caches.py
covers the rules with the embedded runner)."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.e2e.agent_fixtures import agent_database, fleet_factory
from tests.e2e.agents import Fleet, create_job, start_run
from tests.live import wait_for_run

__all__ = ["agent_database", "fleet_factory"]

SCRIPT = """\
echo "had: $(cat deps/lib.txt 2>/dev/null || echo nothing)"
echo 'lib==1' > requirements.txt
mkdir -p deps/nested && echo "built by $ISHCD_RUN_ID" > deps/lib.txt && echo x > deps/nested/y
"""
CACHE = {
    "restore": ["deps-{{ os }}-"],
    "save": {"key": 'deps-{{ os }}-{{ checksum "requirements.txt" }}', "paths": ["deps"]},
}


def test_an_agent_saves_a_cache_and_restores_it_in_the_next_run(fleet_factory: Any) -> None:
    fleet: Fleet = fleet_factory()
    agent = fleet.agent("cacher")
    key = "deps-linux-" + hashlib.sha256(b"lib==1\n").hexdigest()
    with fleet.server.client() as client:
        assert client.post("/v1/projects", json={"name": "ops"}).status_code == 201
        create_job(client, "ops", "build", SCRIPT, cache=CACHE)
        first = wait_for_run(client, start_run(client, "ops", "build"), timeout=60)
        assert first["status"] == "complete", first["log"]
        assert "[ishcd] no cache found for keys: deps-linux-\nhad: nothing\n" in first["log"]
        assert f"[ishcd] saved cache {key} (2 files, " in first["log"]

        second = wait_for_run(client, start_run(client, "ops", "build"), timeout=60)
        assert second["status"] == "complete", second["log"]
        assert f"[ishcd] restored cache {key} (" in second["log"]
        assert f"had: built by {first['id']}\n" in second["log"]
        assert f"[ishcd] cache {key} exists: not saved\n" in second["log"]
        [cache] = client.get("/v1/projects/ops/caches").json()
        assert (cache["key"], cache["run_id"]) == (key, first["id"])
        assert cache["last_used"] >= cache["created"]
    assert "Traceback" not in agent.log()
