"""``python -m bench logstore``: the two log stores, file and database, side by side.

A 100 MB log of realistic lines (``bench.logs.generate``) is appended to each
store the way a runner sends it, by offset, one append after another (each
waits for the last, as a run's output does): in 64 KiB chunks (what the
embedded runner reads from a job's output at once) and in 1 MiB chunks (an
agent sending what it has gathered); then its tail is read as the log viewer
opens it: the last 256 KiB with the line its first byte is on and the lines
in all. Beside each, its floor on the same medium: the same chunks written to
a file with ``os.write``, or inserted one row per chunk by asyncpg (a
statement and a commit each, no store logic); the same 256 KiB read from the
file, or selected as the last rows.

The database store needs a PostgreSQL server: ``--postgres-url`` (or
``ISHCD_BENCH_POSTGRES_URL``); the bench makes a scratch database on it and
drops it after. Without one, the database store is skipped with a line
saying so.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg
import uvloop

from bench import logs as big_logs
from bench import machine, report
from bench.exceptions import BenchError
from ishcd.db import database, migrate, postgres
from ishcd.logstore import LogStore
from ishcd.logstore_db import DatabaseLogStore
from ishcd.logstore_file import FileLogStore

RESULTS = report.RESULTS.parent / "logstore.json"
RUN = "3abed1d7-68ec-4151-ae87-edcc918315b4"
APPENDS = (64 * 1024, 1024 * 1024)  # the embedded runner's reads; an agent's batches
TAIL = 256 * 1024
REPEATS = 20
TARGET_MB_S = 100.0  # issue 11: a job printing 500 MB arrives at >= 100 MB/s


@dataclass(frozen=True)
class AppendFigures:
    chunk_kib: int
    mb_s: float
    floor_mb_s: float


@dataclass(frozen=True)
class StoreFigures:
    store: str  # file | database
    megabytes: float
    appends: list[AppendFigures]
    tail_ms: float  # p50
    tail_floor_ms: float
    lines: int


@dataclass(frozen=True)
class LogStoreResults:
    machine: machine.Machine
    stores: list[StoreFigures]
    skipped: list[str]
    started: str
    seconds: float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("ISHCD_BENCH_POSTGRES_URL"),
        help="a PostgreSQL server for the database log store (ISHCD_BENCH_POSTGRES_URL)",
    )


def _chunks(source: Path, size: int) -> list[bytes]:
    with source.open("rb") as handle:
        return list(iter(lambda: handle.read(size), b""))


async def _p50(call: Callable[[], Awaitable[None]]) -> float:
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        await call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


async def _append_all(store: LogStore, run_id: str, chunks: list[bytes]) -> float:
    began = time.perf_counter()
    offset = 0
    for chunk in chunks:
        offset = await store.append(run_id, offset, chunk)
    await store.close(run_id)
    return time.perf_counter() - began


async def _tail(store: LogStore, size: int, expected: bytes, lines: int) -> None:
    start = size - TAIL
    data = b"".join([chunk async for chunk in store.read(RUN, start, size)])
    async with store.lines(RUN, size) as index:
        await index.line_of(start)
        counted = await index.count()
    if data != expected or counted != lines:
        raise BenchError("the tail read from the store is not the log's tail")


async def measure_store(
    kind: str, store: LogStore, source: Path, lines: int, floor: Floor
) -> StoreFigures:
    size = source.stat().st_size
    with source.open("rb") as handle:
        handle.seek(size - TAIL)
        expected = handle.read()
    appends = []
    tail_floor_ms = 0.0
    for n, chunk_size in enumerate(APPENDS):
        chunks = _chunks(source, chunk_size)
        seconds = await _append_all(store, RUN if n == 0 else str(uuid.uuid4()), chunks)
        floor_seconds, floor_tail = await floor(chunks)
        tail_floor_ms = tail_floor_ms or floor_tail
        appends.append(
            AppendFigures(chunk_size // 1024, size / 1e6 / seconds, size / 1e6 / floor_seconds)
        )
        del chunks
    tail_ms = await _p50(lambda: _tail(store, size, expected, lines))
    return StoreFigures(
        store=kind,
        megabytes=size / 1e6,
        appends=appends,
        tail_ms=tail_ms,
        tail_floor_ms=tail_floor_ms,
        lines=lines,
    )


Floor = Callable[[list[bytes]], Awaitable[tuple[float, float]]]


def file_floor(where: Path) -> Floor:
    async def measure(chunks: list[bytes]) -> tuple[float, float]:
        path = where / "floor.log"
        path.unlink(missing_ok=True)
        began = time.perf_counter()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            for chunk in chunks:
                os.write(fd, chunk)
        finally:
            os.close(fd)
        seconds = time.perf_counter() - began
        size = path.stat().st_size

        async def tail() -> None:
            with path.open("rb") as handle:
                handle.seek(size - TAIL)
                handle.read(TAIL)

        return seconds, await _p50(tail)

    return measure


def postgres_floor(url: str) -> Floor:
    async def measure(chunks: list[bytes]) -> tuple[float, float]:
        conn = await asyncpg.connect(postgres.dsn_from_url(url))
        try:
            await conn.execute("DROP TABLE IF EXISTS floor")
            await conn.execute("CREATE TABLE floor (n bigint PRIMARY KEY, data bytea NOT NULL)")
            began = time.perf_counter()
            for n, chunk in enumerate(chunks):
                await conn.execute("INSERT INTO floor VALUES ($1, $2)", n, chunk)
            seconds = time.perf_counter() - began
            rows = TAIL // len(chunks[0]) + 1

            async def tail() -> None:
                await conn.fetch("SELECT data FROM floor ORDER BY n DESC LIMIT $1", rows)

            return seconds, await _p50(tail)
        finally:
            await conn.close()

    return measure


@asynccontextmanager
async def scratch_database(server_url: str) -> AsyncIterator[str]:
    """A migrated database of the bench's own on the server at ``server_url``."""
    name = f"ishcd_bench_{uuid.uuid4().hex[:12]}"
    base = postgres.dsn_from_url(server_url).rpartition("/")[0]
    admin = await asyncpg.connect(postgres.dsn_from_url(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{base}/{name}"
        try:
            await migrate.upgrade(url)
            yield url
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def measure_all(
    postgres_url: str | None, megabytes: float, say: Callable[[str], None]
) -> tuple[list[StoreFigures], list[str]]:
    figures: list[StoreFigures] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ishcd-bench-logstore-") as tmp:
        where = Path(tmp)
        source = where / "source.log"
        lines, _ = big_logs.generate(source, megabytes)
        say(f"log stores: a {megabytes:g} MB log appended in 64 KiB and 1 MiB chunks, its tail ...")
        files = FileLogStore(where / "logs")
        figures.append(await measure_store("file", files, source, lines, file_floor(where)))
        say(f"  file: {_said(figures[-1])}")
        if postgres_url is None:
            skipped.append(
                "database store skipped: give --postgres-url or ISHCD_BENCH_POSTGRES_URL"
            )
            say(f"  {skipped[-1]}")
            return figures, skipped
        async with scratch_database(postgres_url) as url:
            db = await database.connect(url)
            try:
                store = DatabaseLogStore(db)
                figure = await measure_store("database", store, source, lines, postgres_floor(url))
            finally:
                await db.close()
        figures.append(figure)
        say(f"  database: {_said(figure)}")
    return figures, skipped


def _said(f: StoreFigures) -> str:
    rates = ", ".join(f"{a.mb_s:.0f} MB/s in {a.chunk_kib} KiB chunks" for a in f.appends)
    return f"{rates}; tail {f.tail_ms:.2f} ms"


def rows(results: LogStoreResults) -> list[report.Row]:
    table = []
    for f in results.stores:
        for a in f.appends:
            table += [
                report.Row(
                    f"{f.store} log store: append {f.megabytes:.0f} MB in {a.chunk_kib} KiB chunks",
                    f"{a.mb_s:.0f} MB/s",
                    f">= {TARGET_MB_S:.0f} MB/s",
                    a.mb_s >= TARGET_MB_S,
                ),
                report.Row(
                    "    floor: " + ("os.write each chunk" if f.store == "file" else "INSERT each"),
                    f"{a.floor_mb_s:.0f} MB/s",
                ),
            ]
        table += [
            report.Row(
                f"  {f.store}: tail 256 KiB + its line + lines (p50)",
                f"{f.tail_ms:.2f} ms",
                f"< {report.LOG_TAIL_MS:.0f} ms",
                f.tail_ms < report.LOG_TAIL_MS,
            ),
            report.Row(
                "    floor: " + ("read 256 KiB" if f.store == "file" else "SELECT the last rows"),
                f"{f.tail_floor_ms:.2f} ms",
            ),
        ]
    return table


def main(args: argparse.Namespace, say: Callable[[str], None]) -> None:
    began = time.monotonic()
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    figures, skipped = uvloop.run(measure_all(args.postgres_url, args.log_mb, say))
    results = LogStoreResults(
        machine.identify(), figures, skipped, started, time.monotonic() - began
    )
    document = asdict(results)
    document["targets"] = [asdict(row) for row in rows(results) if row.passed is not None]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    print()
    print(f"Ish CD bench, log stores, {started}")
    print(f"machine: {results.machine.describe()}")
    print()
    report.print_rows(rows(results))
    for line in skipped:
        print(line)
    print(f"log stores took {results.seconds:.0f} s; figures in {os.path.relpath(RESULTS)}")
