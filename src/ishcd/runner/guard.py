"""A run's processes never outlive the runner that owns them.

A parent-death signal would reach only the script's own bash (it is not
inherited across ``fork``), and a process per run would cost every run a
start. So each runner starts one small guard process, in a session of its
own, and tells it over a pipe which runs are live (and their process groups).
The guard holds only the read end. When the runner dies, however it dies
(``kill -9`` included), the kernel closes the write end; the guard reads the
end of the pipe, kills the process group of every run still live and every
process whose environment names one of them (``ISHCD_RUN_ID``: what left the
group), and exits. A runner that stops cleanly has released every run first,
so its guard exits having killed nothing.

The protocol is one line per message: ``+RUN`` (the run is about to start),
``=RUN PGID`` (its process group), ``-RUN`` (its processes are gone).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from typing import BinaryIO

from ishcd.runner.processes import kill_processes_of, signal_group

log = logging.getLogger(__name__)


class Guard:
    """The runner's side: starts the guard and keeps it told."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._pipe = -1
        self._live: dict[str, int | None] = {}

    def start(self) -> None:
        read_end, write_end = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "ishcd.runner.guard"],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                start_new_session=True,  # a terminal's Ctrl-C is for the server
            )
        except BaseException:
            os.close(write_end)
            raise
        finally:
            os.close(read_end)
        self._pipe = write_end
        for run_id, pgid in self._live.items():  # a restarted guard learns what is live
            self._send(f"+{run_id}\n" if pgid is None else f"+{run_id}\n={run_id} {pgid}\n")

    def watch(self, run_id: str) -> None:
        """The run is about to start: from now on its processes die with the runner."""
        self._live[run_id] = None
        self._tell(f"+{run_id}\n")

    def group(self, run_id: str, pgid: int) -> None:
        self._live[run_id] = pgid
        self._tell(f"={run_id} {pgid}\n")

    def release(self, run_id: str) -> None:
        """The run's processes are gone (killed and reaped)."""
        self._live.pop(run_id, None)
        self._tell(f"-{run_id}\n")

    def stop(self) -> None:
        """Close the pipe (every run released by now) and reap the guard."""
        pipe, self._pipe = self._pipe, -1
        if pipe >= 0:
            os.close(pipe)
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def _tell(self, message: str) -> None:
        try:
            self._send(message)
        except OSError:
            # The guard itself died (someone killed it): start another.
            log.warning("the run guard went away; starting it again")
            self.stop()
            self.start()

    def _send(self, message: str) -> None:
        data = message.encode()
        while data:
            data = data[os.write(self._pipe, data) :]


def serve(pipe: BinaryIO) -> int:
    """The guard: follow the runner's messages until their end; kill what is live."""
    live: dict[str, int | None] = {}
    for line in pipe:
        kind, text = line[:1], line[1:].decode().strip()
        if kind == b"+":
            live[text] = None
        elif kind == b"=":
            run_id, _, group = text.partition(" ")
            live[run_id] = int(group)
        elif kind == b"-":
            live.pop(text, None)
    if not live:
        return 0
    for pgid in live.values():
        if pgid is not None:
            signal_group(pgid, signal.SIGKILL)
    killed = kill_processes_of(set(live))
    print(
        f"ishcd run guard: the runner is gone; ended {len(live)} runs' processes"
        f" ({killed} found by ISHCD_RUN_ID)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(serve(sys.stdin.buffer))
