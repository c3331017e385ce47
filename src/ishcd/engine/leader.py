"""Once-only duties (the reaper, the retention sweep) on exactly one server at a time.

On PostgreSQL, the server that holds an advisory lock on a connection of its
own (``db.notify.LEADER_LOCK``) leads; the others try to take it every
``retry_every`` seconds. PostgreSQL drops the lock with the connection, so
when the leader dies (even ``kill -9``) another server leads within seconds;
a leader that loses its connection stops its duties at once, before anyone
else can take over. Alone on SQLite, the server always leads.

Followers run duties of their own instead (each server's kept workspaces
live in its own data directory).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Protocol

from ishcd import exceptions
from ishcd.db import notify as notify_db
from ishcd.signals import cancel_and_wait

log = logging.getLogger(__name__)

RETRY_EVERY = 2.0


class Duty(Protocol):
    def start(self) -> None: ...

    async def stop(self) -> None: ...


class Leadership:
    def __init__(
        self,
        url: str | None,
        duties: Sequence[Duty],
        follower_duties: Sequence[Duty] = (),
        retry_every: float = RETRY_EVERY,
    ):
        self.url = url  # a PostgreSQL URL; None: alone, always leading
        self.duties = list(duties)
        self.follower_duties = list(follower_duties)
        self.retry_every = retry_every
        self.leading = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.url is None:
            self._lead()
            return
        self._follow()
        self._task = asyncio.create_task(self._run(self.url))

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
        await self._stop(self.duties if self.leading else self.follower_duties)

    def _lead(self) -> None:
        self.leading = True
        for duty in self.duties:
            duty.start()

    def _follow(self) -> None:
        for duty in self.follower_duties:
            duty.start()

    async def _stop(self, duties: list[Duty]) -> None:
        for duty in duties:
            await duty.stop()

    async def _run(self, url: str) -> None:
        while True:
            try:
                session = await notify_db.Session.open(url, "ishcd-leader")
            except exceptions.Unavailable:
                await asyncio.sleep(self.retry_every)
                continue
            try:
                await self._hold(session)
            except exceptions.Unavailable:
                pass
            finally:
                if self.leading:  # first: another server may lead already
                    await self._step_down()
                await session.close()
            await asyncio.sleep(self.retry_every)

    async def _hold(self, session: notify_db.Session) -> None:
        """Take the lock when free, then lead until the session is gone."""
        while not await session.try_lock(notify_db.LEADER_LOCK, self.retry_every):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.closed.wait(), self.retry_every)
            if session.closed.is_set():
                return
        await self._stop(self.follower_duties)
        log.warning("this server leads now: the reaper and the retention sweep run here")
        self._lead()
        while not session.closed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.closed.wait(), self.retry_every)
            if not session.closed.is_set():
                await session.ping(self.retry_every)

    async def _step_down(self) -> None:
        self.leading = False
        log.warning("this server lost the leader lock: its reaper and retention sweep stop")
        await self._stop(self.duties)
        self._follow()
