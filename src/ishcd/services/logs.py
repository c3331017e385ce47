"""Reading run logs: inline on a finished run, by offset, or followed live."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
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


def _final_size(logs: LogStore, run: RunRecord) -> int:
    return run.log_size if run.log_size is not None else logs.size(run.id)


def inline_log(logs: LogStore, run: RunRecord) -> Inline | None:
    """The ``log`` of a run response: set once the run has finished, until it is removed."""
    if run.status not in run_state.FINISHED or run.log_removed is not None:
        return None
    return logs.inline(run.id, _final_size(logs, run))


@dataclass(frozen=True)
class LogSlice:
    chunks: Iterator[bytes]
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


def read_log(logs: LogStore, run: RunRecord, offset: int) -> LogSlice:
    """The log from byte ``offset`` to its current end."""
    check_log_kept(run)
    finished = run.status in run_state.FINISHED
    end = _final_size(logs, run) if finished else logs.size(run.id)
    start = min(offset, end)
    return LogSlice(
        chunks=logs.read(run.id, start, end),
        length=end - start,
        next_offset=max(offset, end),
        complete=finished,
    )


async def follow_log(
    db: Database, logs: LogStore, signals: Signals, run_id: str, offset: int
) -> AsyncIterator[bytes]:
    """The log from ``offset`` as it is written, until the run has finished."""
    position = offset
    budget = CheckBudget()
    while True:
        news = signals.run.listen(run_id)
        size = logs.size(run_id)
        if size > position:
            for chunk in logs.read(run_id, position, size):
                position += len(chunk)
                yield chunk
            continue
        later = budget.delay()
        if later > 0:
            await asyncio.sleep(later)
            continue
        try:
            async with db.read() as conn:
                run = await runs_db.get_run(conn, run_id)
        except exceptions.Unavailable:
            # The log is still written (to files) during an outage: keep following.
            await wait(news, FOLLOW_POLL)
            continue
        if run is None:
            return
        if run.status in run_state.FINISHED:
            final = _final_size(logs, run)
            if position >= final:
                return
            continue
        await wait(news, FOLLOW_POLL)
