"""PostgreSQL sessions of their own, outside the pool: LISTEN/NOTIFY and the leader lock.

A ``Session`` is one dedicated connection. ``engine.notify`` listens on one
for the bumps other servers send, and sends its own on it; ``engine.leader``
holds the advisory lock on another (the lock lives exactly as long as that
connection). A lost or refused connection becomes ``exceptions.Unavailable``,
as in ``db.postgres``; ``closed`` is set the moment the driver sees it go.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable
from typing import Any

import asyncpg

from ishcd import exceptions
from ishcd.db import postgres
from ishcd.db.database import RETRY_AFTER

# The channel every server of one database listens on. Payloads are tiny (a letter
# and a run id); PostgreSQL refuses more than 8000 bytes.
CHANNEL = "ishcd_signals"
MAX_PAYLOAD = 7999
# The advisory lock the leader holds: the first 8 bytes of sha256(b"ishcd:leader"),
# as a signed int64. Advisory locks are per database, so installations sharing a
# PostgreSQL server do not meet.
LEADER_LOCK = -0x01C1_575D_E1B5_EA76
# Sending is one statement, however many bumps it carries.
_NOTIFY = "SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload"
_ERRORS = (asyncpg.InterfaceError, *postgres.BROKEN, *postgres.CONNECTION_ERRORS)


def application_name(role: str) -> str:
    """``role``, this host and process: what ``pg_stat_activity`` shows (e.g. who leads)."""
    return f"{role} {socket.gethostname()[:40]} {os.getpid()}"


class Session:
    def __init__(self, raw: Any):
        self.raw = raw
        self.pid: int = raw.get_server_pid()
        self.closed = asyncio.Event()
        raw.add_termination_listener(lambda _conn: self.closed.set())

    @classmethod
    async def open(cls, url: str, role: str) -> Session:
        """Connect; ``application_name(role)`` names it in ``pg_stat_activity``."""
        try:
            raw = await asyncpg.connect(
                postgres.dsn_from_url(url),
                timeout=postgres.CONNECT_TIMEOUT,
                server_settings={"application_name": application_name(role)},
            )
        except _ERRORS as exc:
            raise exceptions.Unavailable(retry_after=RETRY_AFTER) from exc
        return cls(raw)

    async def _call(self, step: Any, timeout: float | None = None) -> Any:
        try:
            return await asyncio.wait_for(step, timeout)
        except (*_ERRORS, asyncpg.PostgresError) as exc:
            # Any failure leaves the session useless: whoever holds it opens another.
            self.closed.set()
            raise exceptions.Unavailable(retry_after=RETRY_AFTER) from exc

    async def listen(self, received: Callable[[str], None]) -> None:
        """Call ``received(payload)`` for each notification another session sends."""

        def on_notification(_conn: Any, pid: int, _channel: str, payload: str) -> None:
            if pid != self.pid:
                received(payload)

        await self._call(self.raw.add_listener(CHANNEL, on_notification))

    async def notify(self, payloads: list[str], timeout: float) -> None:
        await self._call(self.raw.execute(_NOTIFY, CHANNEL, payloads), timeout)

    async def try_lock(self, key: int, timeout: float) -> bool:
        """Take the advisory lock ``key`` for this session's life, if no one holds it."""
        query = self.raw.fetchval("SELECT pg_try_advisory_lock($1)", key)
        got: bool = await self._call(query, timeout)
        return got

    async def ping(self, timeout: float) -> None:
        """Raises ``exceptions.Unavailable`` if the connection no longer answers."""
        await self._call(self.raw.fetchval("SELECT 1"), timeout)

    async def close(self) -> None:
        self.closed.set()
        with contextlib.suppress(*_ERRORS, TimeoutError):
            await asyncio.wait_for(self.raw.close(), 2.0)
        if not self.raw.is_closed():
            self.raw.terminate()
