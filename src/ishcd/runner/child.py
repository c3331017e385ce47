"""A child process in a session of its own, its output on one pipe, its exit awaited.

Every descriptor here has exactly one owner that closes it once. The output
pipe is made by us (``os.pipe``), its write end handed to ``Popen`` and
closed in this process at once; its read end belongs to ``Output``, which
reads it with ``os.read`` when the event loop says it is readable and closes
it in ``close()``. It is never given to ``loop.connect_read_pipe``: uvloop
closes such a pipe twice (libuv closes the number, then uvloop closes the
file object wrapping the same number), and in between another thread (a
workspace ``rmtree``, a ``/proc`` scan) may have been given that number and
loses it. That was the "Bad file descriptor" under load.

On Linux the child's exit is learned from a pidfd watched by the event loop,
owned by the ``Child`` and closed by the callback that sees the exit.
Elsewhere a thread waits for it. ``subprocess.Popen`` starts the child (it
uses ``vfork``: about 2 ms, where uvloop's ``fork`` takes 5-12 ms in a server
of 100 MB). asyncio's ``Process.wait()`` is avoided on purpose: in CPython
3.11 it resolves only once every pipe is closed, so a background child still
holding stdout would make a finished script look alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


class Output:
    """The read end of the child's output pipe; the only owner of that descriptor."""

    def __init__(self, fd: int, loop: asyncio.AbstractEventLoop):
        os.set_blocking(fd, False)
        self._fd = fd
        self._loop = loop
        self._waiter: asyncio.Future[None] | None = None

    async def read(self, size: int) -> bytes:
        """Up to ``size`` bytes as soon as there are some; ``b""`` at the end."""
        while True:
            if self._fd < 0:
                return b""
            try:
                return os.read(self._fd, size)
            except BlockingIOError:
                await self._readable()

    async def _readable(self) -> None:
        waiter = self._waiter = self._loop.create_future()
        fd = self._fd
        self._loop.add_reader(fd, _resolve, waiter)
        try:
            await waiter
        finally:
            self._waiter = None
            if self._fd == fd:
                self._loop.remove_reader(fd)

    def close(self) -> None:
        """Stop reading and close the pipe (once; a reader waiting gets ``b""``)."""
        fd, self._fd = self._fd, -1
        if fd < 0:
            return
        self._loop.remove_reader(fd)
        if self._waiter is not None:
            _resolve(self._waiter)
        os.close(fd)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


@dataclass
class Child:
    pid: int
    output: Output  # stdout and stderr, merged
    exited: asyncio.Future[int]  # the exit status, as soon as the process exits

    def close(self) -> None:
        """Stop reading its output (the process has exited)."""
        self.output.close()


async def spawn(args: list[str], cwd: Path, env: dict[str, str]) -> Child:
    """Start ``args`` in a new session (its own process group), stdin from /dev/null."""
    watch = _watch_with_pidfd if hasattr(os, "pidfd_open") else _watch_with_thread
    return _spawn(args, cwd, env, watch)


Watch = Callable[[subprocess.Popen[bytes], asyncio.Future[int]], None]


def _spawn(args: list[str], cwd: Path, env: dict[str, str], watch: Watch) -> Child:
    loop = asyncio.get_running_loop()
    read_end, write_end = os.pipe()  # both close-on-exec
    try:
        # Popen in the loop on purpose: vfork+exec takes about as long as handing
        # it to a thread would, and asyncio's own spawn (fork) takes longer still.
        process = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)  # the child has its copy; ours would keep the pipe open
    output = Output(read_end, loop)
    exited: asyncio.Future[int] = loop.create_future()
    try:
        watch(process, exited)
    except BaseException:
        output.close()
        raise
    return Child(process.pid, output, exited)


def _watch_with_pidfd(process: subprocess.Popen[bytes], exited: asyncio.Future[int]) -> None:
    loop = asyncio.get_running_loop()
    pidfd = os.pidfd_open(process.pid)

    def on_exit() -> None:
        try:
            loop.remove_reader(pidfd)
            os.close(pidfd)
        finally:  # whatever happened, the exit is not lost
            exited.set_result(process.wait())

    # Level-triggered: an exit before this line is still seen.
    loop.add_reader(pidfd, on_exit)


def _watch_with_thread(process: subprocess.Popen[bytes], exited: asyncio.Future[int]) -> None:
    loop = asyncio.get_running_loop()

    def settle(code: int) -> None:
        if not exited.done():
            exited.set_result(code)

    def wait() -> None:
        code = process.wait()
        with contextlib.suppress(RuntimeError):  # the loop closed first
            loop.call_soon_threadsafe(settle, code)

    threading.Thread(target=wait, name=f"wait-{process.pid}", daemon=True).start()
