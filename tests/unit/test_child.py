"""Both ways of starting a child: exit seen at once, output merged, own session."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from ishcd.runner import child

Spawn = Callable[[list[str], Path, dict[str, str]], Awaitable[child.Child]]
SPAWNERS = [
    pytest.param(child._spawn_with_asyncio, id="asyncio"),
    pytest.param(
        child._spawn_with_pidfd,
        id="pidfd",
        marks=pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="no pidfd here"),
    ),
]
ENV = {"PATH": os.environ["PATH"]}


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


async def read_all(c: child.Child) -> bytes:
    data = b""
    while chunk := await c.output.read(65536):
        data += chunk
    return data


@pytest.mark.parametrize("spawn", SPAWNERS)
async def test_output_is_merged_and_the_exit_status_kept(spawn: Spawn, tmp_path: Path) -> None:
    c = await spawn(["bash", "-c", "echo out; echo err >&2; exit 7"], tmp_path, ENV)
    assert await read_all(c) == b"out\nerr\n"
    assert await c.exited == 7
    c.close()


@pytest.mark.parametrize("spawn", SPAWNERS)
async def test_exit_is_seen_while_a_background_child_holds_the_pipe(
    spawn: Spawn, tmp_path: Path
) -> None:
    c = await spawn(["bash", "-c", "sleep 30 & echo $!"], tmp_path, ENV)
    assert await asyncio.wait_for(c.exited, 5) == 0
    leftover = int((await c.output.readline()).decode())
    os.killpg(c.pid, signal.SIGKILL)
    await read_all(c)
    c.close()
    await asyncio.sleep(0.05)
    assert (
        not Path(f"/proc/{leftover}").exists()
        or "Z" in Path(f"/proc/{leftover}/stat").read_text().split()[2]
    )


@pytest.mark.parametrize("spawn", SPAWNERS)
async def test_the_child_leads_a_session_of_its_own(spawn: Spawn, tmp_path: Path) -> None:
    c = await spawn(["bash", "-c", "ps -o sid= -p $$; ps -o pgid= -p $$"], tmp_path, ENV)
    sid, pgid = (int(x) for x in (await read_all(c)).split())
    assert sid == pgid == c.pid
    assert await c.exited == 0
    c.close()


@pytest.mark.parametrize("spawn", SPAWNERS)
async def test_a_signal_death_is_reported(spawn: Spawn, tmp_path: Path) -> None:
    c = await spawn(["bash", "-c", "kill -9 $$"], tmp_path, ENV)
    assert await c.exited == -9
    await read_all(c)
    c.close()
