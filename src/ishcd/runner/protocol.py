"""The runner protocol: everything a runner and the server say to each other.

The embedded runner gets an in-process implementation (``ishcd.engine.local``);
a remote agent gets one over HTTP. The runner itself sees only this interface,
so both execute runs through one code path.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ishcd.outputs import Outputs


@dataclass(frozen=True)
class Assignment:
    """A claimed run: what to execute and with what."""

    run_id: str
    project: str  # machine names, for ISHCD_PROJECT / ISHCD_JOB
    job: str
    script: str
    env: dict[str, str]  # env vars, credentials, the job's variables and the run's env
    timeout: int  # seconds
    secrets: list[str] = field(default_factory=list)  # values to mask in the log
    # A pipeline job's code: {"repository": git URL or path, "revision": commit}.
    checkout: dict[str, str] | None = None
    # The script announces its steps with lines "[ishcd] step N/M: NAME" (a pipeline
    # job's): report them as sections (``RunnerProtocol.report_sections``).
    sections: bool = False
    # The lease's fencing token: which claim of the run this is (from 1).
    attempt: int = 1
    # Where this attempt's output starts: a run queued again after its runner was
    # lost keeps the log of its earlier attempts.
    log_offset: int = 0
    # What to keep after the script (artifacts, test reports, a cache) and the
    # cache to restore before it.
    outputs: Outputs = field(default_factory=Outputs)


@dataclass(frozen=True)
class Lease:
    """A runner's hold on one run: every call about the run names it.

    The server refuses anything for an attempt that is no longer the run's
    current one (``LeaseLost``), so a runner that lost a run can never write
    to it or finish it.
    """

    run_id: str
    runner_id: str
    attempt: int


class LeaseLost(Exception):
    """The run is no longer this runner's: it ended, or was given to another attempt."""


class UploadRefused(Exception):
    """The server would not keep an uploaded file (too big, a path it refuses...).

    ``message`` says why, for the run's log; the run goes on."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class CacheHit:
    """A saved cache of the run's project that a restore key matched."""

    id: int
    key: str  # the saved key (the restore key itself, or a longer one it is a prefix of)
    sha256: str  # of its archive
    size: int  # bytes


@dataclass(frozen=True)
class Outcome:
    """How a run ended. ``error_reason`` None means: by its exit code."""

    exit_code: int | None
    error_reason: str | None = None


@dataclass(frozen=True)
class Section:
    """One step of a run, as its log shows it; offsets are the runner's (``append_log``)."""

    number: int  # from 1
    name: str
    start: int  # where the step's banner line starts
    started: float  # Unix time
    end: int | None = None  # just past the step's last byte; None while it runs
    finished: float | None = None
    status: str = "running"  # running, complete, error
    exit_code: int | None = None
    error_reason: str | None = None


class Control(enum.Enum):
    """What a heartbeat tells the runner."""

    CONTINUE = "continue"
    CANCEL = "cancel"  # stop the run: someone canceled it
    ABANDON = "abandon"  # stop the run: it is no longer yours (e.g. given up as lost)


class RunnerProtocol(abc.ABC):
    """What a runner asks of the server. Calls naming a lease raise ``LeaseLost``
    when it is no longer current (``heartbeat`` answers ``Control.ABANDON``)."""

    @abc.abstractmethod
    async def claim(self, runner_id: str, wait_seconds: float) -> Assignment | None:
        """The oldest queued run, now running for ``runner_id``; None after the wait."""

    @abc.abstractmethod
    async def heartbeat(self, lease: Lease) -> Control:
        """Say the run is still alive; learn whether to go on."""

    @abc.abstractmethod
    async def wait_canceled(self, lease: Lease, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True as soon as the run is canceled."""

    @abc.abstractmethod
    async def append_log(self, lease: Lease, offset: int, data: bytes) -> None:
        """Add output at byte ``offset`` of the run's log (a retry never duplicates)."""

    @abc.abstractmethod
    async def report_sections(self, lease: Lease, sections: list[Section]) -> None:
        """The run's sections so far, all of them: a repeat or a retry replaces them."""

    @abc.abstractmethod
    async def finish(self, lease: Lease, outcome: Outcome) -> None:
        """Report the end of the run."""

    async def upload(self, lease: Lease, kind: str, name: str, path: Path) -> dict[str, Any]:
        """Send the file at ``path`` as the run's ``kind`` ("artifact", "test_report",
        "cache") named ``name`` (an artifact's path in the workspace, a report's path,
        a cache key); the server's answer (JSON; what it is depends on the kind).

        Raises ``LeaseLost``, or ``UploadRefused`` when the server will not keep it."""
        raise NotImplementedError

    async def find_cache(self, lease: Lease, keys: list[str]) -> CacheHit | None:
        """The cache to restore: for each key in order, the saved key equal to it, else
        the newest one it is a prefix of; None when no key matches."""
        raise NotImplementedError

    async def fetch_cache(self, lease: Lease, hit: CacheHit, into: Path) -> bool:
        """Write the cache's archive to the new file ``into`` (its use is recorded, for
        least-recently-used eviction); False when it was removed since it was found."""
        raise NotImplementedError

    async def fetch_source(self, lease: Lease, checkout: dict[str, str], into: Path) -> str:
        """Where to clone the run's ``checkout`` from: a repository path or URL.

        The embedded runner clones the server's mirror as named; an agent first
        fetches the revision from the server into the directory ``into``."""
        return checkout["repository"]
