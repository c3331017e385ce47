"""Bumps between servers on one PostgreSQL: ``Signals`` carried over LISTEN/NOTIFY.

Each server keeps one connection of its own (``db.notify.Session``) that
listens on one channel and sends this server's bumps on it. A payload is a
letter and a run id (``signals.WORK`` … ``signals.CANCEL``). Bumps are sent
as they come, but at most one batch every ``window`` seconds: the bumps that
arrive meanwhile wait in a set, so a run writing its log in a thousand
chunks costs one notification per window, and the last bump is always sent.

The connection may go (the database restarts, an admin kills it): the
bridge reconnects with back-off, sends what waited, and then wakes every
local waiter, since notifications sent meanwhile are lost. Cancel latches
are not guessed: their runs are looked up in the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from ishcd import exceptions, signals
from ishcd.db import notify as notify_db
from ishcd.db import runs as runs_db
from ishcd.db.database import Database
from ishcd.runner.resilient import backoff
from ishcd.services import run_state
from ishcd.signals import cancel_and_wait

log = logging.getLogger(__name__)

WINDOW = 0.02  # seconds between two batches of notifications
PING_EVERY = 5.0  # a silent connection is checked this often (a cut cable sends no news)
SEND_TIMEOUT = 5.0
# Past this many distinct bumps waiting (a long outage), one "wake everything" replaces them.
MAX_PENDING = 10_000
EVERYTHING = "*"

Recheck = Callable[[list[str]], Awaitable[list[str]]]


async def canceled_among(db: Database, run_ids: list[str]) -> list[str]:
    """Which of ``run_ids`` a runner should stop: cancel requested, ended, or gone."""
    stop = []
    async with db.read() as conn:
        for run_id in run_ids:
            run = await runs_db.get_run(conn, run_id)
            if run is None or run.status != run_state.RUNNING or run.cancel_requested:
                stop.append(run_id)
    return stop


class Bridge:
    def __init__(
        self,
        url: str,
        local: signals.Signals,
        recheck: Recheck,
        window: float = WINDOW,
        ping_every: float = PING_EVERY,
    ):
        self.url = url
        self.signals = local
        self.recheck = recheck
        self.window = window
        self.ping_every = ping_every
        # Waiting bumps, in order (a dict as an ordered set); swapped out whole to send.
        self._pending: dict[str, None] = {}
        self._queued = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()  # tests and readiness may look
        self._rechecks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.signals.relay.send = self._enqueue
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        # The last bumps (runs ended while the runner drained) still go out, if they can.
        for _ in range(50):
            if not (self._pending and self.connected.is_set()):
                break
            await asyncio.sleep(self.window)
        self.signals.relay.send = None
        for task in [*self._rechecks, self._task]:
            if task is not None:
                task.cancel()
        if self._task is not None:
            await cancel_and_wait(self._task)

    def _enqueue(self, kind: str, key: str) -> None:
        if EVERYTHING in self._pending:
            return
        if len(self._pending) >= MAX_PENDING:
            self._pending = {EVERYTHING: None}
        else:
            self._pending[kind + key] = None
        self._queued.set()

    def _received(self, payload: str) -> None:
        if payload == EVERYTHING:
            self._catch_up()
        else:
            self.signals.deliver(payload[:1], payload[1:])

    def _catch_up(self) -> None:
        """Wake everyone here; set the latches of runs the database says to stop."""
        self.signals.bump_everything()
        keys = self.signals.cancel.waiting()
        if keys:
            task = asyncio.create_task(self._recheck(keys))
            self._rechecks.add(task)
            task.add_done_callback(self._rechecks.discard)

    async def _recheck(self, keys: list[str]) -> None:
        try:
            for key in await self.recheck(keys):
                self.signals.cancel.set_here(key)
        except exceptions.Unavailable:
            pass  # the runners' heartbeats will hear of any cancel
        except Exception:
            log.exception("checking cancel requests after a reconnect failed")

    async def _run(self) -> None:
        delays = backoff(first=0.2, cap=5.0)
        lost = False
        while True:
            try:
                session = await notify_db.Session.open(self.url, "ishcd-signals")
            except exceptions.Unavailable:
                if not lost:
                    log.warning("cross-server wake-ups: cannot reach the database; retrying")
                lost = True
                await asyncio.sleep(next(delays))
                continue
            try:
                await session.listen(self._received)
                if lost:
                    log.warning("cross-server wake-ups: reconnected")
                lost = False
                delays = backoff(first=0.2, cap=5.0)
                self.connected.set()
                self._catch_up()
                await self._pump(session)
            except exceptions.Unavailable:
                pass
            finally:
                self.connected.clear()
                await session.close()
            if not lost:
                log.warning("cross-server wake-ups: the connection was lost; reconnecting")
            lost = True
            await asyncio.sleep(next(delays))

    async def _pump(self, session: notify_db.Session) -> None:
        """Send bumps as they come until the session is gone."""
        closed = asyncio.create_task(session.closed.wait())
        try:
            while not session.closed.is_set():
                if not self._pending:
                    self._queued.clear()
                    queued = asyncio.create_task(self._queued.wait())
                    done, _ = await asyncio.wait(
                        {queued, closed},
                        timeout=self.ping_every,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    queued.cancel()
                    if not done:
                        await session.ping(SEND_TIMEOUT)
                    continue
                batch, self._pending = self._pending, {}
                try:
                    await session.notify(list(batch), SEND_TIMEOUT)
                except exceptions.Unavailable:
                    # Sent again after reconnecting (twice does no harm).
                    self._pending = {**batch, **self._pending}
                    if len(self._pending) > MAX_PENDING:
                        self._pending = {EVERYTHING: None}
                    raise
                await asyncio.sleep(self.window)
        finally:
            closed.cancel()
