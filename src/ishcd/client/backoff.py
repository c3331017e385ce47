"""Polling with exponential back-off: how the client waits for a run to finish."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from ishcd.client import errors

T = TypeVar("T")

START = 0.1
FACTOR = 2.0
CAP = 5.0


def delays(start: float = START, factor: float = FACTOR, cap: float = CAP) -> Iterator[float]:
    """Seconds to sleep between polls: ``start``, then times ``factor``, at most ``cap``."""
    delay = start
    while True:
        yield min(delay, cap)
        delay = min(delay * factor, cap)


def poll(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    timeout: float | None = None,
    schedule: Iterator[float] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call ``fetch`` until ``done`` says yes, sleeping by ``schedule`` in between.

    With a ``timeout`` (seconds), raise :class:`~ishcd.client.errors.WaitTimeout`
    once it has passed; the last value fetched is the exception's ``last``. The
    last sleep is cut short so that the final poll happens at the deadline.
    """
    deadline = None if timeout is None else clock() + timeout
    pauses = delays() if schedule is None else schedule
    while True:
        value = fetch()
        if done(value):
            return value
        pause = next(pauses)
        if deadline is not None:
            left = deadline - clock()
            if left <= 0:
                raise errors.WaitTimeout(f"still not finished after {timeout:g}s", last=value)
            pause = min(pause, left)
        sleep(pause)
