"""Both ways of watching a child: exit seen at once, output merged, own session."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from ishcd.runner import child

Spawn = Callable[[list[str], Path, dict[str, str]], Awaitable[child.Child]]


def _spawner(watch: child.Watch) -> Spawn:
    async def spawn(args: list[str], cwd: Path, env: dict[str, str]) -> child.Child:
        return child._spawn(args, cwd, env, watch)

    return spawn


SPAWNERS = [
    pytest.param(_spawner(child._watch_with_thread), id="thread"),
    pytest.param(
        _spawner(child._watch_with_pidfd),
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
    line = b""
    while not line.endswith(b"\n"):
        line += await c.output.read(100)
    leftover = int(line.decode())
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


@pytest.mark.parametrize("spawn", SPAWNERS)
async def test_close_ends_a_waiting_read_and_closes_the_pipe_once(
    spawn: Spawn, tmp_path: Path
) -> None:
    c = await spawn(["bash", "-c", "sleep 30"], tmp_path, ENV)
    reading = asyncio.ensure_future(c.output.read(100))
    await asyncio.sleep(0.05)
    fd = c.output._fd
    c.close()
    assert await reading == b""
    assert await c.output.read(100) == b""
    c.close()  # a second close does nothing
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(fd)
    os.killpg(c.pid, signal.SIGKILL)
    assert await c.exited == -9


async def test_a_failed_start_leaves_no_descriptor_open(tmp_path: Path) -> None:
    before = set(os.listdir("/proc/self/fd"))
    with pytest.raises(FileNotFoundError):
        await child.spawn(["/nonexistent/program"], tmp_path, ENV)
    assert set(os.listdir("/proc/self/fd")) == before
