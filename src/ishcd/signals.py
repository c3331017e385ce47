"""Wake-ups: new work for runners, news of one run, a run's cancel request.

A ``Wakeup`` never loses a bump: a waiter takes the current event before it
looks at the database, and any bump after that sets that very event.

Every bump happens here first, then goes to the ``Relay``: with several
servers on one PostgreSQL, ``engine.notify`` attaches to it and carries the
bump to the other servers, which apply it with ``Signals.deliver`` (locally
only, so nothing echoes back). Alone (SQLite), the relay sends nowhere.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

# What a bump says, as the relay carries it: one letter, and a run id for all but WORK.
WORK = "w"  # a run was queued
RUN = "r"  # a run's log grew or its status changed
CLOSE = "x"  # a run ended: wake its followers and forget it
CANCEL = "c"  # cancel was requested for a running run

Send = Callable[[str, str], None]


class Relay:
    """Where bumps go past this process; nowhere until a bridge attaches."""

    def __init__(self) -> None:
        self.send: Send | None = None

    def __call__(self, kind: str, key: str = "") -> None:
        if self.send is not None:
            self.send(kind, key)


class Wakeup:
    def __init__(self, relay: Relay | None = None) -> None:
        self._event = asyncio.Event()
        self._relay = relay or Relay()

    def bump(self) -> None:
        self.bump_here()
        self._relay(WORK)

    def bump_here(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    def listen(self) -> asyncio.Event:
        """The event the next bump sets; take it before checking state."""
        return self._event


async def cancel_and_wait(task: asyncio.Task[None], every: float = 1.0) -> None:
    """Cancel ``task`` and wait until it is done, cancelling it again while it is not:
    a cancel that lands while the task awaits another task's end under
    ``suppress(CancelledError)`` is swallowed, and one cancel would then wait forever."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=every)
    if not task.cancelled():
        task.result()  # what it raised, if it did


async def wait(event: asyncio.Event, timeout: float) -> bool:
    """Wait for ``event`` up to ``timeout`` seconds; whether it was set."""
    if not event.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
    return event.is_set()


class Topic:
    """One ``Wakeup`` per key (a run id), made when someone listens."""

    def __init__(self, relay: Relay | None = None) -> None:
        self._wakeups: dict[str, Wakeup] = {}
        self._relay = relay or Relay()

    def listen(self, key: str) -> asyncio.Event:
        wakeup = self._wakeups.get(key)
        if wakeup is None:
            wakeup = self._wakeups[key] = Wakeup()
        return wakeup.listen()

    def bump(self, key: str) -> None:
        self.bump_here(key)
        self._relay(RUN, key)

    def bump_here(self, key: str) -> None:
        wakeup = self._wakeups.get(key)
        if wakeup is not None:
            wakeup.bump_here()

    def close(self, key: str) -> None:
        """Wake the last listeners and forget the key."""
        self.close_here(key)
        self._relay(CLOSE, key)

    def close_here(self, key: str) -> None:
        wakeup = self._wakeups.pop(key, None)
        if wakeup is not None:
            wakeup.bump_here()

    def listened(self) -> list[str]:
        """The keys someone here listens to."""
        return list(self._wakeups)


class Latches:
    """Per-key flags that stay set: a run's cancel request, for the runner running it.

    Only keys registered here (by a local runner, or a server holding an
    agent's control request) are kept, so requests for runs executing
    elsewhere leave nothing behind.
    """

    def __init__(self, relay: Relay | None = None) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self._relay = relay or Relay()

    def register(self, key: str) -> asyncio.Event:
        return self._events.setdefault(key, asyncio.Event())

    def set(self, key: str) -> None:
        self.set_here(key)
        self._relay(CANCEL, key)

    def set_here(self, key: str) -> None:
        event = self._events.get(key)
        if event is not None:
            event.set()

    def discard(self, key: str) -> None:
        self._events.pop(key, None)

    def waiting(self) -> list[str]:
        """The registered keys whose latch is not set yet."""
        return [key for key, event in self._events.items() if not event.is_set()]


class Signals:
    """What the API, the engine and the runners tell each other (and other servers)."""

    def __init__(self) -> None:
        self.relay = Relay()
        self.work = Wakeup(self.relay)  # a run was queued
        self.cancel = Latches(self.relay)  # cancel was requested for a running run
        self.run = Topic(self.relay)  # a run's log grew or its status changed

    def deliver(self, kind: str, key: str) -> None:
        """Apply a bump that another server relayed, here only."""
        if kind == WORK:
            self.work.bump_here()
        elif kind == RUN:
            self.run.bump_here(key)
        elif kind == CLOSE:
            self.run.close_here(key)
        elif kind == CANCEL:
            self.cancel.set_here(key)

    def bump_everything(self) -> None:
        """Wake every local waiter: after bumps from elsewhere may have been missed.

        Cancel latches are not set here: whoever calls this checks the database
        for them (a latch set by mistake would cancel a run)."""
        self.work.bump_here()
        for key in self.run.listened():
            self.run.bump_here(key)
