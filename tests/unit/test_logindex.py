"""The line index against a naive count, on random logs written through the store."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from ishcd import logindex
from ishcd.logstore import LogStore

RUN = "3abed1d7-68ec-4151-ae87-edcc918315b4"


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[LogStore]:
    store = LogStore(tmp_path)
    yield store
    store.close_all()


def random_log(rng: random.Random, lines: int) -> bytes:
    parts = []
    for _ in range(lines):
        kind = rng.random()
        if kind < 0.2:
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


def write_in_pieces(logs: LogStore, rng: random.Random, data: bytes) -> None:
    at = 0
    while at < len(data):
        piece = data[at : at + rng.randint(1, 5000)]
        logs.append(RUN, at, piece)
        if rng.random() < 0.1:
            logs.append(RUN, at, piece)  # a retried append at the same offset
        at += len(piece)


def check(logs: LogStore, data: bytes, rng: random.Random) -> None:
    starts = naive_starts(data)
    with logs.lines(RUN, len(data)) as index:
        assert index.count() == len(starts)
        for line in [0, 1, len(starts) - 1, len(starts), *rng.sample(range(len(starts)), 50)]:
            expected = starts[line] if 0 <= line < len(starts) else None
            assert index.offset_of(line) == expected, line
        for offset in [0, len(data), *rng.sample(range(len(data)), 200)]:
            assert index.line_of(offset) == data.count(b"\n", 0, offset), offset


@pytest.mark.parametrize("seed", range(4))
def test_index_matches_a_naive_count(logs: LogStore, seed: int) -> None:
    rng = random.Random(seed)
    data = random_log(rng, 3000)
    write_in_pieces(logs, rng, data)
    check(logs, data, rng)  # while open
    logs.close(RUN)
    check(logs, data, rng)  # closed


def test_index_survives_a_restart_mid_run_and_a_torn_record(logs: LogStore) -> None:
    rng = random.Random(7)
    data = random_log(rng, 4000)
    half = len(data) // 2
    write_in_pieces(logs, rng, data[:half])
    logs._open.pop(RUN)._close_files()  # a crash: the files closed, nothing finished
    index = logindex.index_path(logs.path(RUN))
    with open(index, "ab") as torn:
        torn.write(b"\x01\x02\x03")  # half a record, as a crash can leave
    again = LogStore(logs.root)
    again.append(RUN, half, data[half:])
    check(again, data, rng)
    again.close(RUN)
    check(again, data, rng)


def test_a_missing_or_stale_index_is_rebuilt_for_a_closed_log(logs: LogStore) -> None:
    rng = random.Random(3)
    data = random_log(rng, 3000)
    write_in_pieces(logs, rng, data)
    logs.close(RUN)
    path = logindex.index_path(logs.path(RUN))
    os.truncate(path, 8 * 3)  # stale: behind the log
    check(LogStore(logs.root), data, rng)
    path.unlink()  # a log from before indexes
    check(LogStore(logs.root), data, rng)


@pytest.mark.parametrize("crash", [False, True])
def test_lines_are_of_the_stored_log_across_the_cap(tmp_path: Path, crash: bool) -> None:
    logs = LogStore(tmp_path, max_bytes=20_000)
    rng = random.Random(5)
    data = random_log(rng, 2000)
    write_in_pieces(logs, rng, data)
    if crash:  # in the tail when the server died: the next start finishes it
        logs._open.pop(RUN)._close_files()
        logs = LogStore(tmp_path, max_bytes=20_000)
    logs.close(RUN)
    stored = logs.path(RUN).read_bytes()
    assert b"bytes of log dropped here" in stored
    check(logs, stored, rng)


def test_no_log_has_no_lines(logs: LogStore) -> None:
    with logs.lines(RUN, 0) as index:
        assert index.count() == 0
        assert index.offset_of(0) is None
        assert index.line_of(0) == 0


def test_retention_deletes_the_index(logs: LogStore) -> None:
    logs.append(RUN, 0, b"a\nb\n")
    logs.set_sections(RUN, [{"name": "x", "start": 0, "end": None}])
    logs.close(RUN)
    logs.delete_many([RUN])
    assert list(logs.path(RUN).parent.iterdir()) == []
