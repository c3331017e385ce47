"""Big logs: the tail, a jump to a line and a search, on a 100 MB log.

The log is made the way every log is: a job ``cat``s a generated file of
realistic lines (about 100 bytes, a timestamp, ANSI colours, one line in
``ERROR_EVERY`` an ``ERROR``), so its bytes go through the runner, the
protocol and the log store, which indexes its lines as it writes them. Then,
on the finished run, through the API:

- the tail: ``GET …/log?tail=262144``, the last 256 KiB with the line its
  first byte is on (``X-Log-First-Line``), as the log viewer opens;
- a jump: ``GET …/log/lines?from=1000000&count=100``;
- a search: ``GET …/log/search?q=ERROR``, whose exact count is checked.

Each answer is checked against the generated file. Beside each, its floor:
for the tail and the jump, one HTTP round trip to the server's health
endpoint plus reading the same bytes from the file in this process; for the
search, one pass of ``bytes.count`` over the file in 4 MiB reads.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bench import api, wire
from bench.exceptions import BenchError

LOG_MB = 100
TAIL_BYTES = 256 * 1024
JUMP_LINE = 1_000_000
JUMP_COUNT = 100
WORD = "ERROR"
ERROR_EVERY = 97
REPEATS = 20
SEARCH_REPEATS = 5
JOB = "big-log"
RUN_TIMEOUT = 600.0


@dataclass(frozen=True)
class LogFigures:
    megabytes: float
    lines: int
    write_seconds: float  # the run that wrote the log, from start to complete
    tail_ms: float  # p50
    tail_floor_ms: float
    jump_ms: float
    jump_floor_ms: float
    search_ms: float
    search_floor_ms: float
    matches: int


def generate(path: Path, megabytes: float) -> tuple[int, int]:
    """A log of about ``megabytes`` MB; its lines and the lines holding ``WORD``."""
    target = int(megabytes * 1_000_000)
    written = lines = words = 0
    with path.open("wb") as out:
        while written < target:
            block = []
            for n in range(lines + 1, lines + 10_001):
                level = f"\x1b[31m{WORD}\x1b[0m" if n % ERROR_EVERY == 0 else "\x1b[32mINFO\x1b[0m"
                block.append(
                    f"2026-12-03T10:{n // 60000 % 60:02}:{n // 1000 % 60:02}.{n % 1000:03}Z "
                    f"{level} worker-{n % 8} step {n}: processed batch {n * 7 % 100000} "
                    f"in {n % 997} ms\n"
                )
                words += n % ERROR_EVERY == 0
            data = "".join(block).encode()
            out.write(data)
            written += len(data)
            lines += len(block)
    return lines, words


async def _p50(times: int, call: Callable[[], Awaitable[None]]) -> float:
    samples = []
    await call()  # warm-up: the page cache, the index
    for _ in range(times):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _read(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as source:
        source.seek(offset)
        return source.read(size)


def _line_offset(path: Path, line: int) -> int:
    at, seen = 0, 0
    with path.open("rb") as source:
        while chunk := source.read(4 * 1024 * 1024):
            count = chunk.count(b"\n")
            if seen + count >= line - 1:
                index = 0
                for _ in range(line - 1 - seen):
                    index = chunk.index(b"\n", index) + 1
                return at + index
            seen += count
            at += len(chunk)
    raise BenchError(f"the generated log has fewer than {line} lines")


def _count(path: Path, word: bytes) -> int:
    total = 0
    with path.open("rb") as source:
        while chunk := source.read(4 * 1024 * 1024):
            total += chunk.count(word)  # no line is cut where the word is: not exact, a floor
    return total


async def _write_log(conn: wire.Connection, source: Path) -> tuple[str, float]:
    job = {"name": JOB, "script": f"cat {source}"}
    response = await conn.request("POST", f"/v1/projects/{api.PROJECT}/jobs", job)
    if response.status != 201:
        raise BenchError(f"creating the job {JOB} answered {response.status}")
    start = time.perf_counter()
    response = await conn.request("POST", f"/v1/projects/{api.PROJECT}/jobs/{JOB}/runs")
    run_id: str = response.json()["id"]
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        run = (await conn.request("GET", f"/v1/runs/{run_id}")).json()
        if run["status"] in ("complete", "error"):
            break
        if time.monotonic() > deadline:
            raise BenchError(f"the big-log run did not finish in {RUN_TIMEOUT:g} s")
        await asyncio.sleep(0.1)
    if run["status"] != "complete":
        raise BenchError(f"the big-log run ended {run['status']}: {run['error_reason']}")
    return run_id, time.perf_counter() - start


async def measure(base_url: str, token: str, megabytes: float = LOG_MB) -> LogFigures:
    with tempfile.TemporaryDirectory(prefix="ishcd-bench-log-") as folder:
        source = Path(folder) / "big.log"
        lines, words = generate(source, megabytes)
        if lines < JUMP_LINE + JUMP_COUNT:
            raise BenchError(f"a {megabytes:g} MB log has only {lines} lines")
        size = source.stat().st_size
        jump_offset = _line_offset(source, JUMP_LINE)
        async with await api.connect(base_url, token) as conn:
            run_id, wrote = await _write_log(conn, source)
            log = f"/v1/runs/{run_id}/log"

            async def tail() -> None:
                response = await conn.request("GET", f"{log}?tail={TAIL_BYTES}")
                start = int(response.headers["x-log-offset"])
                first = int(response.headers["x-log-first-line"])
                if response.body != _read(source, start, size - start) or first < 1:
                    raise BenchError("the tail read is not the end of the log")

            async def jump() -> None:
                target = f"{log}/lines?from={JUMP_LINE}&count={JUMP_COUNT}"
                body = (await conn.request("GET", target)).json()
                if body["offset"] != jump_offset or len(body["lines"]) != JUMP_COUNT:
                    raise BenchError(f"line {JUMP_LINE} is not where the log has it")

            async def search() -> None:
                body = (await conn.request("GET", f"{log}/search?q={WORD}")).json()
                if body["total"] != words:
                    raise BenchError(f"search found {body['total']} of {words} {WORD}s")

            async def health_and(offset: int, length: int) -> None:
                await conn.request("GET", "/v1/health")
                _read(source, offset, length)

            async def count() -> None:
                _count(source, WORD.encode())

            tail_ms = await _p50(REPEATS, tail)
            tail_floor = await _p50(REPEATS, lambda: health_and(size - TAIL_BYTES, TAIL_BYTES))
            jump_ms = await _p50(REPEATS, jump)
            jump_floor = await _p50(REPEATS, lambda: health_and(jump_offset, JUMP_COUNT * 120))
            search_ms = await _p50(SEARCH_REPEATS, search)
            search_floor = await _p50(SEARCH_REPEATS, count)
    return LogFigures(
        megabytes=size / 1_000_000,
        lines=lines,
        write_seconds=wrote,
        tail_ms=tail_ms,
        tail_floor_ms=tail_floor,
        jump_ms=jump_ms,
        jump_floor_ms=jump_floor,
        search_ms=search_ms,
        search_floor_ms=search_floor,
        matches=words,
    )
