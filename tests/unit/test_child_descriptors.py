"""Every descriptor of a child has one owner: none is closed twice under load.

The old spawn handed the output pipe to uvloop's ``connect_read_pipe``, which
closes the number twice (libuv, then the file object). With threads opening
files meanwhile (as the runner's ``rmtree`` and ``/proc`` scans do), the
second close hit their descriptors: EBADF in the threads, and in the server a
pidfd closed under the runner. This fails every time on that code (2,000
spawns, four threads), in a process of its own since it can crash.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="uvloop and /proc: Linux")


def test_spawning_under_load_closes_no_descriptor_of_another_thread() -> None:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("fd_churn.py")), "2000", "4"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "harmed 0", done.stderr[-2000:]
