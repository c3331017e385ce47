"""A child process in a session of its own, its output on one pipe, its exit awaited.

On Linux the child is started with ``subprocess.Popen`` (which uses
``vfork``: about 2 ms, where uvloop's ``fork`` takes 5-12 ms in a server of
100 MB) and its exit is learned from a pidfd watched by the event loop. Both
``Process.wait()`` variants are avoided on purpose: in CPython 3.11 it
resolves only once every pipe is closed, so a background child still holding
stdout would make a finished script look alive. Elsewhere, asyncio's own
subprocess support is used, with the exit taken from the protocol.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

BUFFER = 256 * 1024


@dataclass
class Child:
    pid: int
    output: asyncio.StreamReader  # stdout and stderr, merged
    exited: asyncio.Future[int]  # the exit status, as soon as the process exits
    pipe: asyncio.BaseTransport

    def close(self) -> None:
        """Stop reading its output (the process has exited)."""
        self.pipe.close()


async def spawn(args: list[str], cwd: Path, env: dict[str, str]) -> Child:
    """Start ``args`` in a new session (its own process group), stdin from /dev/null."""
    if hasattr(os, "pidfd_open"):
        return await _spawn_with_pidfd(args, cwd, env)
    return await _spawn_with_asyncio(args, cwd, env)


async def _spawn_with_pidfd(args: list[str], cwd: Path, env: dict[str, str]) -> Child:
    loop = asyncio.get_running_loop()
    # Popen in the loop on purpose: vfork+exec takes about as long as handing it
    # to a thread would, and asyncio's own spawn (fork) takes longer still.
    process = subprocess.Popen(  # noqa: ASYNC220
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        bufsize=0,
    )
    exited: asyncio.Future[int] = loop.create_future()
    pidfd = os.pidfd_open(process.pid)

    def on_exit() -> None:
        loop.remove_reader(pidfd)
        os.close(pidfd)
        exited.set_result(process.wait())

    # Level-triggered: an exit before this line is still seen.
    loop.add_reader(pidfd, on_exit)
    reader = asyncio.StreamReader(limit=BUFFER, loop=loop)
    assert process.stdout is not None
    pipe, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader, loop=loop), process.stdout
    )
    return Child(process.pid, reader, exited, pipe)


class _ExitAware(asyncio.subprocess.SubprocessStreamProtocol):
    """Learns of the process's exit at once, not when its pipes close."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        super().__init__(limit=BUFFER, loop=loop)
        self.exited: asyncio.Future[None] = loop.create_future()

    def process_exited(self) -> None:
        super().process_exited()
        if not self.exited.done():
            self.exited.set_result(None)


async def _spawn_with_asyncio(args: list[str], cwd: Path, env: dict[str, str]) -> Child:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.subprocess_exec(
        lambda: _ExitAware(loop),
        *args,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    exited: asyncio.Future[int] = loop.create_future()

    def on_exit(_: asyncio.Future[None]) -> None:
        code = transport.get_returncode()
        assert code is not None
        exited.set_result(code)

    protocol.exited.add_done_callback(on_exit)
    assert protocol.stdout is not None
    return Child(transport.get_pid(), protocol.stdout, exited, transport)
