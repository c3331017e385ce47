"""The database log store while PostgreSQL cuts its connections."""

from __future__ import annotations

import asyncio
import random

import asyncpg

from ishcd import exceptions
from ishcd.db import database, postgres
from ishcd.logstore_db import DatabaseLogStore

RUN = "3abed1d7-68ec-4151-ae87-edcc918315b4"
CUTS = 20


async def test_appends_through_cut_connections_lose_and_duplicate_nothing(
    postgres_url: str,
) -> None:
    """Every connection of the store is terminated again and again while a runner
    appends: an append that fails raises Unavailable (the API's 503), the runner
    sends again from where it was, and the log ends exactly as sent."""
    db = await database.connect(postgres_url)
    store = DatabaseLogStore(db)
    rng = random.Random(9)
    lines = [b"line %d " % n + b"x" * rng.randint(0, 200) + b"\n" for n in range(10_000)]
    data = b"".join(lines)
    refused = 0
    done = asyncio.Event()

    async def runner() -> None:
        nonlocal refused
        at = 0
        while at < len(data):
            piece = data[at : at + rng.randint(1, 5000)]
            try:
                at = await store.append(RUN, at, piece)
            except exceptions.Unavailable:
                refused += 1  # stored or not: the same bytes go again
                await asyncio.sleep(0.005)
        done.set()

    async def cutter() -> None:
        admin = await asyncpg.connect(postgres.dsn_from_url(postgres_url))
        name = postgres_url.rsplit("/", 1)[1]
        try:
            for _ in range(CUTS):  # then the connections are left alone: the run ends
                if done.is_set():
                    break
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = $1 AND pid <> pg_backend_pid()",
                    name,
                )
                await asyncio.sleep(0.05)
        finally:
            await admin.close()

    try:
        await asyncio.gather(runner(), cutter())
        assert refused > 0, "no append met a cut connection: the test tested nothing"
        assert await store.received(RUN) == len(data)
        size = await store.close(RUN)
        assert size == len(data)
        stored = b"".join([chunk async for chunk in store.read(RUN, 0, size)])
        assert stored == data
        async with store.lines(RUN, size) as index:
            assert await index.count() == len(lines)
            assert await index.offset_of(7000) == len(b"".join(lines[:7000]))
    finally:
        await db.close()
