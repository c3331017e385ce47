"""Wake-ups between servers and the leader lock, on a real PostgreSQL.

Two bridges (or two leaderships) in one process stand for two servers: each
has its own connections, as two processes would. Connections are cut with
``pg_terminate_backend``, as an admin or a restarting database would.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg
import pytest

from ishcd import signals
from ishcd.db import postgres
from ishcd.engine import leader, notify

pytestmark = pytest.mark.xdist_group("replicas")

PATIENCE = 15.0  # seconds: generous, nothing here polls


async def _terminate(url: str, application: str) -> int:
    conn = await asyncpg.connect(postgres.dsn_from_url(url))
    try:
        killed: int = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name LIKE $1",
            application + " %",
        )
        return killed
    finally:
        await conn.close()


async def _connected(bridge: notify.Bridge) -> None:
    await asyncio.wait_for(bridge.connected.wait(), PATIENCE)


class Replica:
    """The signals of one server, bridged; what it received, counted."""

    def __init__(self, url: str, stop: frozenset[str] = frozenset()):
        self.signals = signals.Signals()
        self.received: Counter[str] = Counter()
        deliver = self.signals.deliver

        def counting(kind: str, key: str) -> None:
            self.received[kind + key] += 1
            deliver(kind, key)

        self.signals.deliver = counting  # type: ignore[method-assign]

        async def recheck(keys: list[str]) -> list[str]:
            return [key for key in keys if key in stop]

        self.bridge = notify.Bridge(url, self.signals, recheck)


async def test_bumps_reach_the_other_server_once_and_not_back(postgres_url: str) -> None:
    a, b = Replica(postgres_url), Replica(postgres_url)
    for replica in (a, b):
        replica.bridge.start()
    try:
        await _connected(a.bridge)
        await _connected(b.bridge)
        work, news, latch = b.signals.work.listen(), b.signals.run.listen("r1"), None
        latch = b.signals.cancel.register("r2")
        a.signals.work.bump()
        a.signals.run.bump("r1")
        a.signals.cancel.set("r2")
        for event in (work, news, latch):
            await asyncio.wait_for(event.wait(), PATIENCE)

        # A burst of log growth: coalesced, and the last bump is never lost.
        burst = b.signals.run.listen("busy")
        for _ in range(1000):
            a.signals.run.bump("busy")
        await asyncio.wait_for(burst.wait(), PATIENCE)
        later = b.signals.run.listen("busy")
        for _ in range(20):
            a.signals.run.bump("busy")
            await asyncio.sleep(0.002)
        await asyncio.wait_for(later.wait(), PATIENCE)
        a.signals.run.close("busy")
        await asyncio.sleep(0.2)
        assert b.received["xbusy"] == 1
        assert 2 <= b.received["rbusy"] <= 12, b.received
        assert a.received == Counter()  # nothing echoed back
        assert b.signals.run.listened() == ["r1"]  # the closed run is forgotten
    finally:
        for replica in (a, b):
            await replica.bridge.stop()


async def test_a_cut_connection_comes_back_and_wakes_what_it_may_have_missed(
    postgres_url: str,
) -> None:
    a, b = Replica(postgres_url), Replica(postgres_url, stop=frozenset({"canceled"}))
    for replica in (a, b):
        replica.bridge.start()
    try:
        await _connected(a.bridge)
        await _connected(b.bridge)
        news = b.signals.run.listen("r1")
        canceled = b.signals.cancel.register("canceled")
        running = b.signals.cancel.register("running")
        assert await _terminate(postgres_url, "ishcd-signals") == 2
        for _ in range(3):  # the new connections too, again and again
            await asyncio.sleep(0.3)
            await _terminate(postgres_url, "ishcd-signals")
        # Both reconnect by themselves; then everything waiting here is woken,
        # and only the latch of the run the database says to stop is set.
        await asyncio.wait_for(news.wait(), PATIENCE)
        await asyncio.wait_for(canceled.wait(), PATIENCE)
        await _connected(a.bridge)
        await _connected(b.bridge)
        assert not running.is_set()
        work = b.signals.work.listen()
        a.signals.work.bump()
        await asyncio.wait_for(work.wait(), PATIENCE)
    finally:
        for replica in (a, b):
            await replica.bridge.stop()


class Duty:
    def __init__(self) -> None:
        self.running = False
        self.starts = 0

    def start(self) -> None:
        self.running = True
        self.starts += 1

    async def stop(self) -> None:
        self.running = False


async def _until(condition: object, what: str) -> None:
    async def check() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(check(), PATIENCE)
    except TimeoutError:
        raise AssertionError(f"not within {PATIENCE}s: {what}") from None


async def test_one_server_leads_and_another_takes_over_when_it_loses_its_lock(
    postgres_url: str,
) -> None:
    duties = [Duty(), Duty()]
    own = [Duty(), Duty()]
    servers = [
        leader.Leadership(postgres_url, [duty], [mine], retry_every=0.2)
        for duty, mine in zip(duties, own, strict=True)
    ]
    for server in servers:
        await server.start()
    try:
        await _until(lambda: any(server.leading for server in servers), "someone leads")
        await asyncio.sleep(0.6)  # the other has tried a few times meanwhile
        assert sum(server.leading for server in servers) == 1
        first = 0 if servers[0].leading else 1
        assert [duty.running for duty in duties] == [i == first for i in range(2)]
        assert [mine.running for mine in own] == [i != first for i in range(2)]

        await _terminate(postgres_url, "ishcd-leader")  # both lose their lock sessions
        await _until(lambda: duties[first].starts + duties[1 - first].starts == 2, "a new leader")
        assert sum(duty.running for duty in duties) == 1
        assert sum(server.leading for server in servers) == 1
        for server, duty, mine in zip(servers, duties, own, strict=True):
            assert duty.running == server.leading
            assert mine.running != server.leading
    finally:
        for server in servers:
            await server.stop()
    assert not any(duty.running for duty in duties + own)


async def test_alone_on_sqlite_the_server_always_leads() -> None:
    duty, mine = Duty(), Duty()
    alone = leader.Leadership(None, [duty], [mine])
    await alone.start()
    assert (alone.leading, duty.running, mine.running) == (True, True, False)
    await alone.stop()
    assert not duty.running
