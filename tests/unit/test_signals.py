from __future__ import annotations

import asyncio
import contextlib

from ishcd.signals import (
    CANCEL,
    CLOSE,
    RUN,
    WORK,
    Latches,
    Signals,
    Topic,
    Wakeup,
    cancel_and_wait,
    wait,
)


async def test_a_bump_after_listen_is_never_lost() -> None:
    wakeup = Wakeup()
    event = wakeup.listen()
    wakeup.bump()
    assert await wait(event, 0.01)
    assert not wakeup.listen().is_set()


async def test_wait_times_out() -> None:
    assert not await wait(Wakeup().listen(), 0.01)


async def test_topic_wakes_listeners_of_a_key_only() -> None:
    topic = Topic()
    a, b = topic.listen("a"), topic.listen("b")
    topic.bump("a")
    assert a.is_set()
    assert not b.is_set()
    topic.bump("nobody-listens")
    topic.close("b")
    assert b.is_set()


async def test_latches_stay_set_and_only_for_registered_keys() -> None:
    latches = Latches()
    latches.set("unknown")
    event = latches.register("run")
    latches.set("run")
    await asyncio.sleep(0)
    assert event.is_set()
    assert latches.register("run").is_set()
    latches.discard("run")
    assert not latches.register("run").is_set()
    assert not latches.register("unknown").is_set()


async def test_every_bump_goes_to_the_relay_and_deliveries_stay_here() -> None:
    sent: list[tuple[str, str]] = []
    here = Signals()
    here.relay.send = lambda kind, key: sent.append((kind, key))
    here.work.bump()
    here.run.bump("r1")
    here.run.close("r1")
    here.cancel.set("r2")  # not registered here: it may be running on another server
    assert sent == [(WORK, ""), (RUN, "r1"), (CLOSE, "r1"), (CANCEL, "r2")]

    sent.clear()
    work, news, latch = here.work.listen(), here.run.listen("r3"), here.cancel.register("r4")
    for kind, key in [(WORK, ""), (RUN, "r3"), (CANCEL, "r4"), (CANCEL, "elsewhere")]:
        here.deliver(kind, key)
    assert [event.is_set() for event in (work, news, latch)] == [True] * 3
    assert sent == []  # a delivered bump is never relayed again
    assert here.cancel.waiting() == []


async def test_bump_everything_wakes_each_listened_run_but_sets_no_latch() -> None:
    here = Signals()
    work, a, b = here.work.listen(), here.run.listen("a"), here.run.listen("b")
    latch = here.cancel.register("c")
    here.bump_everything()
    assert [event.is_set() for event in (work, a, b)] == [True] * 3
    assert not latch.is_set()
    assert here.cancel.waiting() == ["c"]
    here.deliver(CLOSE, "a")
    assert here.run.listened() == ["b"]


async def test_cancel_and_wait_ends_a_task_that_swallowed_a_cancel() -> None:
    async def duty() -> None:
        await asyncio.sleep(3600)

    async def swallowing() -> None:
        while True:  # like a loop stopping a duty under suppress(CancelledError)
            inner = asyncio.create_task(duty())
            await asyncio.sleep(0)
            inner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await inner
            await asyncio.sleep(0.01)

    task = asyncio.create_task(swallowing())
    await asyncio.sleep(0.05)
    await asyncio.wait_for(cancel_and_wait(task, every=0.05), 30)
    assert task.cancelled()
