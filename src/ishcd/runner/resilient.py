"""Riding out an outage: the runner protocol, retried while the server is unavailable.

A running script must not die because the database (or, for an agent, the
server) is away for a few seconds. ``ResilientProtocol`` wraps the real
protocol: heartbeats, log appends and the finish are retried with capped
exponential back-off and jitter until they go through; a claim that fails
waits its turn and finds no work. Only ``exceptions.Unavailable`` is retried:
any other error, and any answer (e.g. a heartbeat saying the run is no longer
this runner's), is the caller's as before. ``stop_retrying()`` ends the
retries, for a runner that is shutting down.

One warning is logged when an outage starts and one when it ends, not one
per attempt.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from ishcd import exceptions
from ishcd.runner.protocol import (
    Assignment,
    CacheHit,
    Control,
    Lease,
    Outcome,
    RunnerProtocol,
    Section,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_DELAY = 0.2
MAX_DELAY = 5.0


def backoff(
    first: float = FIRST_DELAY,
    cap: float = MAX_DELAY,
    jitter: Callable[[], float] = random.random,
) -> Iterator[float]:
    """Delays that double from ``first`` up to ``cap``, each randomly 50-100 % of that."""
    attempt = 0
    while True:
        ceiling = min(cap, first * 2**attempt)
        yield ceiling * (0.5 + jitter() / 2)
        if ceiling < cap:
            attempt += 1


class Outage:
    """Notes when the server went away and came back, and says so once each.

    It is back when a kind of call that failed goes through again: another
    kind may not need the server at all (the embedded runner writes logs to
    files), so its success proves nothing.
    """

    def __init__(self) -> None:
        self.since: float | None = None
        self._failing: set[str] = set()

    def failed(self, kind: str, what: str, exc: exceptions.Unavailable) -> None:
        self._failing.add(kind)
        if self.since is None:
            self.since = time.monotonic()
            log.warning("%s failed, retrying with back-off: %s", what, exc.message)

    def succeeded(self, kind: str) -> None:
        if kind in self._failing:
            lasted = time.monotonic() - (self.since or time.monotonic())
            self.since = None
            self._failing.clear()
            log.warning("the server is reachable again after %.1f s", lasted)


class ResilientProtocol(RunnerProtocol):
    def __init__(
        self,
        inner: RunnerProtocol,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        jitter: Callable[[], float] = random.random,
    ):
        self.inner = inner
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.jitter = jitter
        self.outage = Outage()
        self._stopped = asyncio.Event()
        self._claim_delays: dict[str, Iterator[float]] = {}

    def stop_retrying(self) -> None:
        """From now on a call that finds the server unavailable raises at once."""
        self._stopped.set()

    def _delays(self) -> Iterator[float]:
        return backoff(self.first_delay, self.max_delay, self.jitter)

    async def _pause(self, delay: float) -> bool:
        """Sleep ``delay`` seconds; False if retrying was stopped meanwhile."""
        if not self._stopped.is_set():
            try:
                await asyncio.wait_for(self._stopped.wait(), delay)
            except TimeoutError:
                return True
        return False

    async def _retry(self, kind: str, what: str, call: Callable[[], Awaitable[T]]) -> T:
        delays = self._delays()
        while True:
            try:
                result = await call()
            except exceptions.Unavailable as exc:
                self.outage.failed(kind, what, exc)
                if not await self._pause(next(delays)):
                    raise
                continue
            self.outage.succeeded(kind)
            return result

    async def claim(self, runner_id: str, wait_seconds: float) -> Assignment | None:
        try:
            assignment = await self.inner.claim(runner_id, wait_seconds)
        except exceptions.Unavailable as exc:
            self.outage.failed("claim", "claiming a run", exc)
            delays = self._claim_delays.setdefault(runner_id, self._delays())
            await self._pause(next(delays))
            return None
        self._claim_delays.pop(runner_id, None)
        self.outage.succeeded("claim")
        return assignment

    async def heartbeat(self, lease: Lease) -> Control:
        return await self._retry(
            "heartbeat",
            f"a heartbeat of run {lease.run_id}",
            lambda: self.inner.heartbeat(lease),
        )

    async def wait_canceled(self, lease: Lease, timeout: float) -> bool:
        try:
            canceled = await self.inner.wait_canceled(lease, timeout)
        except exceptions.Unavailable as exc:
            self.outage.failed("wait_canceled", f"waiting on run {lease.run_id}", exc)
            await self._pause(timeout)
            return False
        self.outage.succeeded("wait_canceled")
        return canceled

    async def append_log(self, lease: Lease, offset: int, data: bytes) -> None:
        await self._retry(
            "append_log",
            f"writing the log of run {lease.run_id}",
            lambda: self.inner.append_log(lease, offset, data),
        )

    async def report_sections(self, lease: Lease, sections: list[Section]) -> None:
        await self._retry(
            "report_sections",
            f"reporting the steps of run {lease.run_id}",
            lambda: self.inner.report_sections(lease, sections),
        )

    async def finish(self, lease: Lease, outcome: Outcome) -> None:
        await self._retry(
            "finish",
            f"recording the end of run {lease.run_id}",
            lambda: self.inner.finish(lease, outcome),
        )

    async def upload(self, lease: Lease, kind: str, name: str, path: Path) -> dict[str, Any]:
        return await self._retry(
            "upload",
            f"sending {name!r} of run {lease.run_id}",
            lambda: self.inner.upload(lease, kind, name, path),
        )

    async def fetch_source(self, lease: Lease, checkout: dict[str, str], into: Path) -> str:
        return await self._retry(
            "fetch_source",
            f"fetching the code of run {lease.run_id}",
            lambda: self.inner.fetch_source(lease, checkout, into),
        )

    async def find_cache(self, lease: Lease, keys: list[str]) -> CacheHit | None:
        return await self._retry(
            "find_cache",
            f"looking up the cache of run {lease.run_id}",
            lambda: self.inner.find_cache(lease, keys),
        )

    async def fetch_cache(self, lease: Lease, hit: CacheHit, into: Path) -> bool:
        return await self._retry(
            "fetch_cache",
            f"fetching the cache of run {lease.run_id}",
            lambda: self.inner.fetch_cache(lease, hit, into),
        )
