from __future__ import annotations

import asyncio

from ishcd.signals import Latches, Topic, Wakeup, wait


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
