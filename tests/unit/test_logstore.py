"""The log stores, file and database, through the one interface they share."""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest

from ishcd import exceptions
from ishcd.logstore import INLINE_LIMIT, INLINE_PART, LogStore
from ishcd.logstore_db import PIECE
from tests.unit.conftest import Stores

RUN = "3abed1d7-68ec-4151-ae87-edcc918315b4"
OTHER = "00000000-0000-0000-0000-000000000000"


async def read(store: LogStore, run_id: str, start: int, end: int, chunk: int = 65536) -> bytes:
    return b"".join([piece async for piece in store.read(run_id, start, end, chunk)])


async def final(store: LogStore, run_id: str = RUN) -> bytes:
    size = await store.close(run_id)
    return await read(store, run_id, 0, size)


async def test_append_by_offset_skips_what_is_already_there(logs: LogStore) -> None:
    assert await logs.append(RUN, 0, b"hello ") == 6
    assert await logs.append(RUN, 0, b"hello ") == 6  # a retried append
    assert await logs.append(RUN, 2, b"llo") == 6  # inside what is there: nothing new
    assert await logs.append(RUN, 3, b"lo world") == 11  # overlaps, adds the rest
    assert await logs.size(RUN) == 11
    assert await logs.close(RUN) == 11
    assert await read(logs, RUN, 0, 11) == b"hello world"


async def test_a_gap_is_refused_with_where_the_log_ends(logs: LogStore) -> None:
    await logs.append(RUN, 0, b"abc")
    with pytest.raises(exceptions.LogGap) as refused:
        await logs.append(RUN, 5, b"x")
    assert refused.value.size == 3
    assert "send from byte 3" in refused.value.message
    assert await logs.received(RUN) == 3
    assert await read(logs, RUN, 0, 10) == b"abc"


async def test_reopens_after_close(stores: Stores, logs: LogStore) -> None:
    await logs.append(RUN, 0, b"abc")
    await logs.close(RUN)
    again = stores.make()
    assert await again.received(RUN) == 3
    assert await again.append(RUN, 3, b"def") == 6
    assert await final(again) == b"abcdef"


async def test_a_log_never_written_is_empty(logs: LogStore) -> None:
    assert await logs.size(OTHER) == 0
    assert await logs.received(OTHER) == 0
    assert await read(logs, OTHER, 0, 10) == b""
    assert await logs.sections(OTHER) is None
    assert (await logs.inline(OTHER, 0)).text is None


async def test_range_reads_across_chunk_boundaries(logs: LogStore) -> None:
    rng = random.Random(1)
    data = bytes(rng.getrandbits(8) for _ in range(3 * PIECE + 12345))
    at = 0
    for size in (1, 100, 40_000, PIECE + 7, 3, PIECE * 2):  # small ones coalesce
        if at < len(data):
            at = await logs.append(RUN, at, data[at : at + size])
    await logs.append(RUN, at, data[at:])
    assert await logs.size(RUN) == len(data)
    for _ in range(30):
        start = rng.randrange(len(data))
        end = rng.randrange(start, len(data) + 10)
        chunk = rng.choice([1000, 65536, PIECE, 10 * PIECE])
        pieces = [piece async for piece in logs.read(RUN, start, end, chunk)]
        assert all(len(piece) <= chunk for piece in pieces)
        assert b"".join(pieces) == data[start:end]
    for edge in (PIECE - 1, PIECE, PIECE + 1):
        assert await read(logs, RUN, edge - 5, edge + 5) == data[edge - 5 : edge + 5]
    buffer = bytearray(PIECE + 10)
    assert await logs.readinto(RUN, 17, memoryview(buffer)) == len(buffer)
    assert bytes(buffer) == data[17 : 17 + len(buffer)]
    assert await read(logs, RUN, 10, 10) == b""


async def test_inline_whole_or_head_and_tail(logs: LogStore) -> None:
    assert (await logs.inline(RUN, 0)).text is None
    await logs.append(RUN, 0, b"a" * INLINE_LIMIT)
    whole = await logs.inline(RUN, INLINE_LIMIT)
    assert not whole.truncated
    assert whole.text == "a" * INLINE_LIMIT
    await logs.append(RUN, INLINE_LIMIT, b"b" * 10)
    cut = await logs.inline(RUN, INLINE_LIMIT + 10)
    assert cut.truncated
    assert cut.text is not None
    assert cut.text.startswith("a" * INLINE_PART + "\n[... 10 bytes of log omitted")
    assert cut.text.endswith("a" * (INLINE_PART - 10) + "b" * 10)


async def test_delete_takes_the_log_and_its_sections(stores: Stores, logs: LogStore) -> None:
    await logs.append(RUN, 0, b"x\ny\n")
    await logs.set_sections(RUN, [{"name": "x", "start": 0, "end": None}])
    await logs.append(OTHER, 0, b"kept")
    await logs.close(RUN)
    await stores.delete(logs, [RUN])
    assert await logs.size(RUN) == 0
    assert await logs.sections(RUN) is None
    assert await read(logs, RUN, 0, 4) == b""
    assert await read(logs, OTHER, 0, 4) == b"kept"


async def test_a_delete_rolled_back_keeps_the_log(stores: Stores, logs: LogStore) -> None:
    await logs.append(RUN, 0, b"kept")

    async def delete_and_fail() -> None:
        async with stores.db.transaction() as conn:
            await logs.delete_many(conn, [RUN])
            raise RuntimeError("the deletion of the runs failed")

    with pytest.raises(RuntimeError):
        await delete_and_fail()
    assert await read(logs, RUN, 0, 4) == b"kept"


async def test_a_note_goes_after_what_the_runner_sent(logs: LogStore) -> None:
    await logs.append(RUN, 0, b"partial")
    await logs.note(RUN, "runner lost: the run ended")
    assert await final(logs) == b"partial\n[ishcd] runner lost: the run ended\n"
    await logs.note(RUN, "after the end")  # a closed log takes a note too
    assert (await final(logs)).endswith(b"\n[ishcd] after the end\n")


async def test_concurrent_appends_from_many_tasks_to_many_runs(logs: LogStore) -> None:
    """Every run's pieces sent by three tasks at once (a retried request racing
    itself): each log ends whole, nothing twice, nothing missing."""
    rng = random.Random(2)
    runs = {str(uuid.uuid4()): rng.randbytes(rng.randint(1000, 200_000)) for _ in range(12)}

    async def send(run_id: str, data: bytes, seed: int) -> None:
        mine = random.Random(seed)
        at = 0
        while at < len(data):
            size = mine.randint(1, 40_000)
            await logs.append(run_id, at, data[at : at + size])
            at += size
            if mine.random() < 0.3:
                await asyncio.sleep(0)

    await asyncio.gather(
        *(send(run_id, data, n) for run_id, data in runs.items() for n in range(3))
    )
    for run_id, data in runs.items():
        assert await logs.received(run_id) == len(data)
        assert await final(logs, run_id) == data


async def test_under_the_cap_the_log_is_whole(stores: Stores) -> None:
    store = stores.make(1024)
    data = bytes(range(256)) * 4
    for start in range(0, len(data), 100):
        await store.append(RUN, start, data[start : start + 100])
    assert await store.received(RUN) == 1024
    assert await final(store) == data


async def test_past_the_cap_head_line_and_tail(stores: Stores) -> None:
    store = stores.make(1024)
    data = b"".join(b"%05d\n" % n for n in range(2000))  # 12,000 bytes
    offset = 0
    for size in (7, 500, 3, 4096, 1, 20, 5000):  # appends across the head's end
        while offset < len(data):
            offset = await store.append(RUN, offset, data[offset : offset + size])
            if offset % 3 == 0:
                break
    assert offset == len(data)
    assert await store.received(RUN) == len(data)
    # While the run goes, readers see the head only: a prefix of the final log.
    assert await store.size(RUN) == 512
    assert await read(store, RUN, 0, 10_000) == data[:512]
    whole = await final(store)
    dropped = len(data) - 1024
    line = f"\n[ishcd] {dropped} bytes of log dropped here (the log passed its cap of 1024 bytes)\n"
    assert whole == data[:512] + line.encode() + data[-512:]
    assert await store.size(RUN) == len(whole)
    assert await store.close(RUN) == len(whole)  # closing again changes nothing


async def test_a_tail_longer_than_a_piece_is_kept_whole(stores: Stores) -> None:
    cap = 4 * PIECE
    store = stores.make(cap)
    rng = random.Random(4)
    data = rng.randbytes(5 * cap + 999)
    at = 0
    while at < len(data):
        at = await store.append(RUN, at, data[at : at + rng.randint(1, PIECE)])
    whole = await final(store)
    assert whole.startswith(data[: cap // 2] + b"\n[ishcd] ")
    assert whole.endswith(b"bytes)\n" + data[-cap // 2 :])


async def test_a_retried_append_past_the_cap_is_not_duplicated(stores: Stores) -> None:
    store = stores.make(1024)
    await store.append(RUN, 0, b"a" * 600)
    await store.append(RUN, 0, b"a" * 600)  # retried whole
    await store.append(RUN, 600, b"b" * 2000)
    await store.append(RUN, 1000, b"b" * 1600)  # retried, overlapping
    assert await store.received(RUN) == 2600
    with pytest.raises(exceptions.LogGap):
        await store.append(RUN, 2601, b"c")
    whole = await final(store)
    assert whole.startswith(b"a" * 512 + b"\n[ishcd] 1576 bytes of log dropped here")
    assert whole.endswith(b")\n" + b"b" * 512)


async def test_sections_in_stored_offsets_across_the_cap(stores: Stores) -> None:
    logs = stores.make(1000)
    await logs.append(RUN, 0, b"a" * 3000)
    sections = [
        {"number": 1, "name": "head", "start": 10, "end": 700},
        {"number": 2, "name": "dropped", "start": 700, "end": 2600},
        {"number": 3, "name": "tail", "start": 2600, "end": None},
    ]
    await logs.set_sections(RUN, sections)
    running = await logs.sections(RUN)
    assert running is not None
    # While the run goes only the head (500 bytes) is readable: offsets stop there.
    assert [(s["start"], s["end"]) for s in running] == [(10, 500), (500, 500), (500, None)]
    assert [s["name"] for s in running] == ["head", "dropped", "tail"]
    size = await logs.close(RUN)
    stored = await read(logs, RUN, 0, size)
    note_end = stored.index(b"\n", 501) + 1  # the dropped-bytes line
    ended = await logs.sections(RUN)
    assert ended is not None
    assert [(s["start"], s["end"]) for s in ended] == [
        (10, 500),
        (500, note_end + 100),  # 2600 is 100 bytes into the kept tail (2500 on)
        (note_end + 100, None),
    ]
    assert size == note_end + 500


async def test_sections_are_replaced_whole(logs: LogStore) -> None:
    await logs.append(RUN, 0, b"x" * 100)
    await logs.set_sections(RUN, [{"number": 1, "name": "a", "start": 0, "end": None}])
    await logs.set_sections(
        RUN,
        [
            {"number": 1, "name": "a", "start": 0, "end": 40},
            {"number": 2, "name": "b", "start": 40, "end": None},
        ],
    )
    got = await logs.sections(RUN)
    assert got is not None
    assert [(s["name"], s["start"], s["end"]) for s in got] == [("a", 0, 40), ("b", 40, None)]
