"""Reading run logs: inline on a finished run, by offset or range, by line, or followed live."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass

from ishcd import exceptions
from ishcd.db import runs as runs_db
from ishcd.db.database import Database
from ishcd.db.runs import RunRecord
from ishcd.logstore import Inline, LogStore
from ishcd.services import run_state
from ishcd.signals import Signals, wait

# A follower re-checks the run this often even without news (another replica
# may be the one writing).
FOLLOW_POLL = 1.0
# A run past its log cap wakes its followers with every append and shows them
# nothing new: each follower asks the database at most CHECKS_PER_SECOND times
# a second, after a burst of CHECK_BURST (so the wake-up of a run's end, right
# after the first check, is answered at once).
CHECKS_PER_SECOND = 4.0
CHECK_BURST = 3.0


class CheckBudget:
    """A token bucket: how long to wait before the next database check."""

    def __init__(
        self,
        rate: float = CHECKS_PER_SECOND,
        burst: float = CHECK_BURST,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = burst
        self.at = clock()

    def delay(self) -> float:
        """0 and one check spent when one is left; else the seconds until one is."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


# A range read (``limit``, ``tail``) or a read of lines returns at most this many bytes.
MAX_RANGE = 4 * 1024 * 1024
# ... and a read of lines at most this many lines.
MAX_LINES = 10_000


async def _final_size(logs: LogStore, run: RunRecord) -> int:
    return run.log_size if run.log_size is not None else await logs.size(run.id)


async def log_end(logs: LogStore, run: RunRecord) -> int:
    """How much of the log can be read now: all of it once the run has finished."""
    if run.status in run_state.FINISHED:
        return await _final_size(logs, run)
    return await logs.size(run.id)


async def inline_log(logs: LogStore, run: RunRecord) -> Inline | None:
    """The ``log`` of a run response: set once the run has finished, until it is removed."""
    if run.status not in run_state.FINISHED or run.log_removed is not None:
        return None
    return await logs.inline(run.id, await _final_size(logs, run))


@dataclass(frozen=True)
class LogSlice:
    chunks: AsyncGenerator[bytes, None]
    length: int
    next_offset: int
    complete: bool  # the run has finished: this slice reaches the end of its log


def check_log_kept(run: RunRecord) -> None:
    """Raise ``Gone`` for a run whose log the retention sweep deleted."""
    if run.log_removed is not None:
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(run.log_removed))
        raise exceptions.Gone(
            f"the log of run {run.id} was deleted on {when}, past its retention; "
            "the run record stays"
        )


async def read_log(logs: LogStore, run: RunRecord, offset: int) -> LogSlice:
    """The log from byte ``offset`` to its current end."""
    check_log_kept(run)
    finished = run.status in run_state.FINISHED
    end = await log_end(logs, run)
    start = min(offset, end)
    return LogSlice(
        chunks=logs.read(run.id, start, end),
        length=end - start,
        next_offset=max(offset, end),
        complete=finished,
    )


@dataclass(frozen=True)
class LogRange:
    """A bounded part of the log, with where it starts in bytes and in lines."""

    data: bytes
    offset: int
    next_offset: int
    complete: bool  # the run has finished and this part reaches the end of its log
    first_line: int  # the line (from 1) of the first byte: lines before it, plus one
    lines: int  # lines in the log so far (a last line without its newline counts)
    size: int  # bytes of the log readable now


async def _joined(logs: LogStore, run_id: str, start: int, end: int) -> bytes:
    return b"".join([chunk async for chunk in logs.read(run_id, start, end)])


async def read_range(
    logs: LogStore, run: RunRecord, offset: int, limit: int | None, tail: int | None
) -> LogRange:
    """At most ``limit`` bytes from ``offset``; or, with ``tail``, the last ``tail``
    bytes, from the first line that starts in them (mid-line only when none does)."""
    check_log_kept(run)
    end = await log_end(logs, run)
    if tail is not None:
        start = max(0, end - tail)
        data = await _joined(logs, run.id, max(0, start - 1), end)
        before, data = (data[:1], data[1:]) if start > 0 else (b"\n", data)
        if before != b"\n":  # the tail starts mid-line: from the next line's start
            newline = data.find(b"\n")
            if newline != -1 and newline + 1 < len(data):
                data = data[newline + 1 :]
                start += newline + 1
    else:
        start = min(offset, end)
        stop = end if limit is None else min(end, start + limit)
        data = await _joined(logs, run.id, start, stop)
    async with logs.lines(run.id, end) as index:
        first_line = await index.line_of(start) + 1
        lines = await index.count()
    finished = run.status in run_state.FINISHED
    return LogRange(
        data=data,
        offset=start,
        next_offset=start + len(data) if tail is not None else max(offset, start + len(data)),
        complete=finished and start + len(data) >= end,
        first_line=first_line,
        lines=lines,
        size=end,
    )


@dataclass(frozen=True)
class LogLines:
    """Whole lines of the log, from line ``first`` (from 1)."""

    first: int
    offset: int | None  # where line ``first`` starts; None when the log has no such line
    lines: list[str]  # without their newline; bytes that are not UTF-8 read as U+FFFD
    next_offset: int | None  # just past the last line given
    last_cut: bool  # the last line was longer than MAX_RANGE: only its start is given
    total: int  # lines in the log so far
    size: int
    complete: bool  # the run has finished: ``total`` is final


async def read_lines(logs: LogStore, run: RunRecord, first: int, count: int) -> LogLines:
    """Up to ``count`` lines from line ``first`` (from 1)."""
    check_log_kept(run)
    end = await log_end(logs, run)
    finished = run.status in run_state.FINISHED
    async with logs.lines(run.id, end) as index:
        total = await index.count()
        at = await index.offset_of(first - 1)
    if at is None:
        return LogLines(first, None, [], None, False, total, end, finished)
    stop = min(end, at + MAX_RANGE)
    read: list[bytes] = []
    newlines = 0
    chunks = logs.read(run.id, at, stop)
    async for chunk in chunks:  # only as far as the lines asked for
        read.append(chunk)
        newlines += chunk.count(b"\n")
        if newlines >= count:
            break
    await chunks.aclose()
    data = b"".join(read)
    pieces = data.split(b"\n")
    cut = False
    if at + len(data) == end:
        if pieces[-1] == b"":
            pieces.pop()  # the log ends with a newline: no line after it
    elif len(pieces) > 1:
        pieces.pop()  # a line that goes on past what was read
    else:
        cut = True
    taken = pieces[:count]
    cut = cut and len(taken) == len(pieces)
    length = sum(len(piece) + 1 for piece in taken)
    next_offset = min(at + length, end)
    text = [piece.decode(errors="replace") for piece in taken]
    return LogLines(first, at, text, next_offset, cut, total, end, finished)


async def follow_log(
    db: Database, logs: LogStore, signals: Signals, run_id: str, offset: int
) -> AsyncGenerator[bytes, None]:
    """The log from ``offset`` as it is written, until the run has finished."""
    position = offset
    budget = CheckBudget()
    while True:
        news = signals.run.listen(run_id)
        try:
            size = await logs.size(run_id)
            if size > position:
                async for chunk in logs.read(run_id, position, size):
                    position += len(chunk)
                    yield chunk
                if logs.follow_gap:  # appends that come meanwhile are read together
                    await asyncio.sleep(logs.follow_gap)
                continue
        except exceptions.Unavailable:
            # The database is away (the log store may be in it): wait, then go on.
            await wait(news, FOLLOW_POLL)
            continue
        later = budget.delay()
        if later > 0:
            await asyncio.sleep(later)
            continue
        try:
            async with db.read() as conn:
                run = await runs_db.get_run(conn, run_id)
            final = None
            if run is not None and run.status in run_state.FINISHED:
                final = await _final_size(logs, run)
        except exceptions.Unavailable:
            # A file log is still written during an outage: keep following.
            await wait(news, FOLLOW_POLL)
            continue
        if run is None:
            return
        if final is not None:
            if position >= final:
                return
            continue
        await wait(news, FOLLOW_POLL)
