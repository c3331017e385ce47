"""The line index against a naive count, on random logs written through each store."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from ishcd import logindex
from ishcd.logstore import LogStore
from ishcd.logstore_file import FileLogStore
from tests.unit.conftest import Stores

RUN = "3abed1d7-68ec-4151-ae87-edcc918315b4"


def random_log(rng: random.Random, lines: int, long_lines: bool = False) -> bytes:
    parts = []
    for _ in range(lines):
        kind = rng.random()
        if long_lines and kind < 0.01:
            parts.append(b"z" * rng.randint(100_000, 700_000) + b"\n")  # past a chunk
        elif kind < 0.2:
            parts.append(b"\n")  # empty lines
        elif kind < 0.3:
            parts.append(b"crlf line\r\n")
        else:
            parts.append(bytes(rng.choice(b"abc xyz\x1b[") for _ in range(rng.randint(1, 300))))
            parts.append(b"\n")
    if rng.random() < 0.5:
        parts.append(b"no newline at the end")
    return b"".join(parts)


def naive_starts(data: bytes) -> list[int]:
    """Where each line starts (a line is there when a byte of it is)."""
    starts = [0] if data else []
    at = data.find(b"\n")
    while at != -1:
        if at + 1 < len(data):
            starts.append(at + 1)
        at = data.find(b"\n", at + 1)
    return starts


async def write_in_pieces(
    logs: LogStore, rng: random.Random, data: bytes, biggest: int = 5000
) -> None:
    at = 0
    while at < len(data):
        piece = data[at : at + rng.randint(1, biggest)]
        await logs.append(RUN, at, piece)
        if rng.random() < 0.1:
            await logs.append(RUN, at, piece)  # a retried append at the same offset
        at += len(piece)


async def check(logs: LogStore, data: bytes, rng: random.Random, size: int | None = None) -> None:
    """The index of the first ``size`` bytes (all of ``data`` by default)."""
    data = data[:size]
    starts = naive_starts(data)
    async with logs.lines(RUN, len(data)) as index:
        assert await index.count() == len(starts)
        for line in [0, 1, len(starts) - 1, len(starts), *rng.sample(range(len(starts)), 50)]:
            expected = starts[line] if 0 <= line < len(starts) else None
            assert await index.offset_of(line) == expected, line
        for offset in [0, len(data), *rng.sample(range(len(data)), 200)]:
            assert await index.line_of(offset) == data.count(b"\n", 0, offset), offset


@pytest.mark.parametrize("seed", range(4))
async def test_index_matches_a_naive_count(logs: LogStore, seed: int) -> None:
    rng = random.Random(seed)
    data = random_log(rng, 3000)
    await write_in_pieces(logs, rng, data)
    await check(logs, data, rng)  # while open
    await check(logs, data, rng, len(data) // 3)  # a reader that read less
    await logs.close(RUN)
    await check(logs, data, rng)  # closed


async def test_index_of_long_and_short_lines(logs: LogStore) -> None:
    """Lines longer than a chunk of the database store, among short ones."""
    rng = random.Random(11)
    data = random_log(rng, 1500, long_lines=True)
    assert max(len(line) for line in data.split(b"\n")) > 256 * 1024
    await write_in_pieces(logs, rng, data, biggest=300_000)
    await logs.close(RUN)
    await check(logs, data, rng)


async def test_index_survives_a_restart_mid_run_and_a_torn_record(tmp_path: Path) -> None:
    logs = FileLogStore(tmp_path)
    rng = random.Random(7)
    data = random_log(rng, 4000)
    half = len(data) // 2
    await write_in_pieces(logs, rng, data[:half])
    logs._open.pop(RUN)._close_files()  # a crash: the files closed, nothing finished
    index = logindex.index_path(logs.path(RUN))
    with open(index, "ab") as torn:
        torn.write(b"\x01\x02\x03")  # half a record, as a crash can leave
    again = FileLogStore(logs.root)
    await again.append(RUN, half, data[half:])
    await check(again, data, rng)
    await again.close(RUN)
    await check(again, data, rng)


async def test_a_missing_or_stale_index_is_rebuilt_for_a_closed_log(tmp_path: Path) -> None:
    logs = FileLogStore(tmp_path)
    rng = random.Random(3)
    data = random_log(rng, 3000)
    await write_in_pieces(logs, rng, data)
    await logs.close(RUN)
    path = logindex.index_path(logs.path(RUN))
    os.truncate(path, 8 * 3)  # stale: behind the log
    await check(FileLogStore(logs.root), data, rng)
    path.unlink()  # a log from before indexes
    await check(FileLogStore(logs.root), data, rng)


async def test_lines_are_of_the_stored_log_across_the_cap(stores: Stores) -> None:
    logs = stores.make(20_000)
    rng = random.Random(5)
    data = random_log(rng, 2000)
    await write_in_pieces(logs, rng, data)
    size = await logs.close(RUN)
    stored = b"".join([chunk async for chunk in logs.read(RUN, 0, size)])
    assert b"bytes of log dropped here" in stored
    await check(logs, stored, rng)


async def test_lines_of_a_file_log_cut_off_in_its_tail(tmp_path: Path) -> None:
    logs = FileLogStore(tmp_path, max_bytes=20_000)
    rng = random.Random(5)
    data = random_log(rng, 2000)
    await write_in_pieces(logs, rng, data)
    logs._open.pop(RUN)._close_files()  # in the tail when the server died
    logs = FileLogStore(tmp_path, max_bytes=20_000)  # the next start finishes it
    await logs.close(RUN)
    stored = logs.path(RUN).read_bytes()
    assert b"bytes of log dropped here" in stored
    await check(logs, stored, rng)


async def test_no_log_has_no_lines(logs: LogStore) -> None:
    async with logs.lines(RUN, 0) as index:
        assert await index.count() == 0
        assert await index.offset_of(0) is None
        assert await index.line_of(0) == 0


async def test_retention_deletes_the_index(stores: Stores, tmp_path: Path) -> None:
    logs = FileLogStore(tmp_path / "files")
    await logs.append(RUN, 0, b"a\nb\n")
    await logs.set_sections(RUN, [{"name": "x", "start": 0, "end": None}])
    await logs.close(RUN)
    await stores.delete(logs, [RUN])
    assert list(logs.path(RUN).parent.iterdir()) == []
