"""A run's stored log has a cap: past it, the head, a line of what was dropped, the tail."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ishcd.db import runs as runs_db
from tests import stored_logs
from tests.api.conftest import Api

CAP = 4096
SECRET = "hunter2-s3cr3t-value"

# Head, a middle far past the cap (with the secret), then a tail with the secret
# and the error: what a failing build prints.
SCRIPT = """
echo HEAD-MARKER
for i in $(seq 1 300); do echo "middle line $i MIDDLE-MARKER $SECRET"; done
{wait}
for i in $(seq 1 60); do echo "tail line $i"; done
echo "TAIL-ERROR: deploy failed with $SECRET"
exit 3
"""


def printed(waited: bool = False) -> bytes:
    """The output the script produces, as the runner sends it: the secret masked."""
    lines = ["HEAD-MARKER"]
    lines += [f"middle line {i} MIDDLE-MARKER ***" for i in range(1, 301)]
    if waited:
        return ("\n".join(lines) + "\n").encode()
    lines += [f"tail line {i}" for i in range(1, 61)]
    lines.append("TAIL-ERROR: deploy failed with ***")
    return ("\n".join(lines) + "\n").encode()


def capped(full: bytes) -> bytes:
    dropped = len(full) - CAP
    line = (
        f"\n[ishcd] {dropped} bytes of log dropped here (the log passed its cap of {CAP} bytes)\n"
    )
    return full[: CAP // 2] + line.encode() + full[-(CAP // 2) :]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"log_max_bytes": CAP}


async def _job(api: Api, script: str) -> None:
    await api.project("Ops")
    variables = [{"name": "SECRET", "secret": True}]
    await api.job("ops", script, name="build", variables=variables)


async def test_the_stored_log_keeps_head_and_tail_and_never_the_secret(api: Api) -> None:
    await _job(api, SCRIPT.format(wait=""))
    run = await api.start("ops", "build", env={"SECRET": SECRET})
    run = await api.wait(run["id"])
    assert run["status"] == "error"
    assert run["error_reason"] == "failed"
    assert run["exit_code"] == 3
    expected = capped(printed())
    assert run["log"] == expected.decode()
    assert run["log"].startswith("HEAD-MARKER\n")
    assert run["log"].endswith("TAIL-ERROR: deploy failed with ***\n")
    assert SECRET not in run["log"]

    whole = await api.get(f"/v1/runs/{run['id']}/log")
    assert whole.content == expected
    assert whole.headers["X-Next-Offset"] == str(len(expected))
    assert whole.headers["X-Log-Complete"] == "true"
    for offset in (1, CAP // 2, CAP // 2 + 10, len(expected) - 5):
        part = await api.get(f"/v1/runs/{run['id']}/log", params={"offset": offset})
        assert part.content == expected[offset:]
    followed = await api.get(f"/v1/runs/{run['id']}/log", params={"follow": 1, "offset": 7})
    assert followed.content == expected[7:]
    async with api.server.database.read() as conn:
        record = await runs_db.get_run(conn, run["id"])
    assert record is not None
    assert record.log_size == len(expected)
    stored = await stored_logs.stored_bytes(api.server)
    assert SECRET.encode() not in stored


async def _until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what}")
        await asyncio.sleep(0.02)


async def test_readers_see_a_prefix_of_the_final_log_while_the_run_goes(
    api: Api, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    await _job(api, SCRIPT.format(wait=f"while [ ! -e {go} ]; do sleep 0.02; done"))
    run = await api.start("ops", "build", env={"SECRET": SECRET})
    path = f"/v1/runs/{run['id']}/log"
    follower = asyncio.create_task(api.get(path, params={"follow": 1}))
    so_far = printed(waited=True)
    logs = api.server.logs

    # (The masker may hold the last few bytes back until the output ends.)
    async def past_the_cap() -> bool:
        return await logs.received(run["id"]) > CAP + 100

    await _until(past_the_cap, "past the cap")
    # Past the cap, a live reader gets the head, and nothing more until the run ends.
    live = await api.get(path)
    assert live.content == so_far[: CAP // 2]
    assert live.headers["X-Next-Offset"] == str(CAP // 2)
    assert live.headers["X-Log-Complete"] == "false"
    beyond = await api.get(path, params={"offset": CAP // 2 + 100})
    assert beyond.content == b""
    assert beyond.headers["X-Next-Offset"] == str(CAP // 2 + 100)
    go.touch()
    await api.wait(run["id"])
    expected = capped(printed())
    followed = await follower
    assert followed.content == expected
    rest = await api.get(path, params={"offset": CAP // 2})
    assert so_far[: CAP // 2] + rest.content == expected
