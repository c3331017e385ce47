"""The machine the figures come from, and how busy others kept it meanwhile.

Figures from a machine that something else is loading are not comparable,
so the bench measures that: the CPU time the whole machine spent busy
(``/proc/stat``) during the bench, less what the bench and its children
(servers, load generator, runs) used, is what other processes took.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

STAT = Path("/proc/stat")
TICKS = os.sysconf("SC_CLK_TCK")
BUSY_WARNING = 0.10  # of the machine's CPU time


@dataclass(frozen=True)
class Machine:
    cpus: int
    usable_cpus: int
    cpu_model: str
    python: str
    sqlite: str
    platform: str
    load_average: float  # 1 minute, at the start

    def describe(self) -> str:
        cpus = f"{self.usable_cpus} of {self.cpus} CPUs"
        if self.usable_cpus == self.cpus:
            cpus = f"{self.cpus} CPUs"
        return (
            f"{cpus} ({self.cpu_model}), Python {self.python}, SQLite {self.sqlite}, "
            f"{self.platform}"
        )


def identify() -> Machine:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    return Machine(
        cpus=os.cpu_count() or 1,
        usable_cpus=len(os.sched_getaffinity(0)),
        cpu_model=model,
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        platform=platform.platform(terse=True),
        load_average=os.getloadavg()[0],
    )


@dataclass(frozen=True)
class Contention:
    """What other processes (and the hypervisor) took while the bench ran."""

    others_share: float  # of the machine's CPU time
    steal_share: float  # taken by the hypervisor for other guests

    @property
    def busy(self) -> bool:
        return self.others_share + self.steal_share > BUSY_WARNING

    def describe(self) -> str:
        text = f"other processes used {self.others_share:.0%} of the CPU during the bench"
        if self.steal_share >= 0.005:
            text += f", the hypervisor stole {self.steal_share:.0%}"
        if self.busy:
            text += ": a busy machine, so these figures are low; run again when it is quiet"
        return text


def _stat() -> tuple[float, float, float]:
    """Seconds of CPU time so far: busy, steal, all (every CPU together)."""
    fields = [int(n) for n in STAT.read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq
    return busy / TICKS, steal / TICKS, (busy + idle + iowait + steal) / TICKS


def _own() -> float:
    """CPU seconds of this process and its reaped children (theirs included)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class CpuMeter:
    """Call ``stop`` once every child the bench started has been waited for."""

    def __init__(self) -> None:
        self._start = _stat() if STAT.exists() else None
        self._own = _own()
        self._wall = time.monotonic()

    def stop(self) -> Contention | None:
        if self._start is None:
            return None
        busy, steal, total = (end - start for end, start in zip(_stat(), self._start, strict=True))
        if total <= 0:
            return None
        others = max(0.0, busy - (_own() - self._own))
        return Contention(others_share=others / total, steal_share=steal / total)
