"""In-process wake-ups: new work for runners, news of one run.

A ``Wakeup`` never loses a bump: a waiter takes the current event before it
looks at the database, and any bump after that sets that very event.
"""

from __future__ import annotations

import asyncio
import contextlib


class Wakeup:
    def __init__(self) -> None:
        self._event = asyncio.Event()

    def bump(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    def listen(self) -> asyncio.Event:
        """The event the next bump sets; take it before checking state."""
        return self._event


async def wait(event: asyncio.Event, timeout: float) -> bool:
    """Wait for ``event`` up to ``timeout`` seconds; whether it was set."""
    if not event.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
    return event.is_set()


class Topic:
    """One ``Wakeup`` per key (a run id), made when someone listens."""

    def __init__(self) -> None:
        self._wakeups: dict[str, Wakeup] = {}

    def listen(self, key: str) -> asyncio.Event:
        wakeup = self._wakeups.get(key)
        if wakeup is None:
            wakeup = self._wakeups[key] = Wakeup()
        return wakeup.listen()

    def bump(self, key: str) -> None:
        wakeup = self._wakeups.get(key)
        if wakeup is not None:
            wakeup.bump()

    def close(self, key: str) -> None:
        """Wake the last listeners and forget the key."""
        wakeup = self._wakeups.pop(key, None)
        if wakeup is not None:
            wakeup.bump()


class Latches:
    """Per-key flags that stay set: a run's cancel request, for the runner running it.

    Only keys registered by a local runner are kept, so requests for runs
    executing elsewhere leave nothing behind.
    """

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def register(self, key: str) -> asyncio.Event:
        return self._events.setdefault(key, asyncio.Event())

    def set(self, key: str) -> None:
        event = self._events.get(key)
        if event is not None:
            event.set()

    def discard(self, key: str) -> None:
        self._events.pop(key, None)


class Signals:
    """What the API, the engine and the runners tell each other in-process."""

    def __init__(self) -> None:
        self.work = Wakeup()  # a run was queued
        self.cancel = Latches()  # cancel was requested for a running run
        self.run = Topic()  # a run's log grew or its status changed
