from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ishcd import exceptions
from ishcd.logstore import INLINE_LIMIT, INLINE_PART, LogStore

RUN = "3abed1d7-68ec-4151-ae87-edcc918315b4"


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[LogStore]:
    store = LogStore(tmp_path)
    yield store
    store.close_all()


def test_append_by_offset_skips_what_is_already_there(logs: LogStore) -> None:
    assert logs.append(RUN, 0, b"hello ") == 6
    assert logs.append(RUN, 0, b"hello ") == 6  # a retried append
    assert logs.append(RUN, 3, b"lo world") == 11  # overlaps, adds the rest
    assert logs.close(RUN) == 11
    assert b"".join(logs.read(RUN, 0, 11)) == b"hello world"


def test_a_gap_is_refused(logs: LogStore) -> None:
    logs.append(RUN, 0, b"abc")
    with pytest.raises(exceptions.Conflict):
        logs.append(RUN, 5, b"x")


def test_reopens_after_close(logs: LogStore) -> None:
    logs.append(RUN, 0, b"abc")
    logs.close(RUN)
    again = LogStore(logs.root)
    assert again.append(RUN, 3, b"def") == 6
    again.close_all()


def test_read_ranges_in_chunks(logs: LogStore) -> None:
    data = bytes(range(256)) * 1000
    logs.append(RUN, 0, data)
    assert b"".join(logs.read(RUN, 1000, 200_000)) == data[1000:200_000]
    assert list(logs.read(RUN, 10, 10)) == []
    assert list(logs.read("00000000-0000-0000-0000-000000000000", 0, 10)) == []


def test_inline_whole_or_head_and_tail(logs: LogStore) -> None:
    assert logs.inline(RUN, 0).text is None
    logs.append(RUN, 0, b"a" * INLINE_LIMIT)
    whole = logs.inline(RUN, INLINE_LIMIT)
    assert not whole.truncated
    assert whole.text == "a" * INLINE_LIMIT
    logs.append(RUN, INLINE_LIMIT, b"b" * 10)
    cut = logs.inline(RUN, INLINE_LIMIT + 10)
    assert cut.truncated
    assert cut.text is not None
    assert cut.text.startswith("a" * INLINE_PART + "\n[... 10 bytes of log omitted")
    assert cut.text.endswith("a" * (INLINE_PART - 10) + "b" * 10)


def test_delete(logs: LogStore) -> None:
    logs.append(RUN, 0, b"x")
    logs.delete_many([RUN])
    assert logs.size(RUN) == 0
    assert not logs.path(RUN).exists()


def _final(store: LogStore) -> bytes:
    size = store.close(RUN)
    return b"".join(store.read(RUN, 0, size))


def test_under_the_cap_the_log_is_whole(tmp_path: Path) -> None:
    store = LogStore(tmp_path, max_bytes=1024)
    data = bytes(range(256)) * 4
    for start in range(0, len(data), 100):
        store.append(RUN, start, data[start : start + 100])
    assert store.received(RUN) == 1024
    assert _final(store) == data
    assert not (tmp_path / RUN[:2] / f"{RUN}.tail").exists()


def test_past_the_cap_head_line_and_tail(tmp_path: Path) -> None:
    store = LogStore(tmp_path, max_bytes=1024)
    data = b"".join(b"%05d\n" % n for n in range(2000))  # 12,000 bytes
    offset = 0
    for size in (7, 500, 3, 4096, 1, 20, 5000):  # appends across the head's end and segments
        while offset < len(data):
            offset = store.append(RUN, offset, data[offset : offset + size])
            if offset % 3 == 0:
                break
    assert offset == len(data)
    assert store.received(RUN) == len(data)
    # While the run goes, readers see the head only: a prefix of the final log.
    assert store.size(RUN) == 512
    final = _final(store)
    dropped = len(data) - 1024
    line = f"\n[ishcd] {dropped} bytes of log dropped here (the log passed its cap of 1024 bytes)\n"
    assert final == data[:512] + line.encode() + data[-512:]
    assert store.size(RUN) == len(final)
    assert not (tmp_path / RUN[:2] / f"{RUN}.tail").exists()


def test_a_retried_append_past_the_cap_is_not_duplicated(tmp_path: Path) -> None:
    store = LogStore(tmp_path, max_bytes=1024)
    store.append(RUN, 0, b"a" * 600)
    store.append(RUN, 0, b"a" * 600)  # retried whole
    store.append(RUN, 600, b"b" * 2000)
    store.append(RUN, 1000, b"b" * 1600)  # retried, overlapping
    assert store.received(RUN) == 2600
    with pytest.raises(exceptions.Conflict):
        store.append(RUN, 2601, b"c")
    final = _final(store)
    assert final.startswith(b"a" * 512 + b"\n[ishcd] 1576 bytes of log dropped here")
    assert final.endswith(b")\n" + b"b" * 512)


def test_a_restart_in_the_middle_resumes_the_tail(tmp_path: Path) -> None:
    store = LogStore(tmp_path, max_bytes=1024)
    data = bytes(range(256)) * 20
    store.append(RUN, 0, data[:3000])
    again = LogStore(tmp_path, max_bytes=4096)  # the log keeps the cap it started with
    assert again.received(RUN) == 3000
    again.append(RUN, 2000, data[2000:])
    final = _final(again)
    assert final.startswith(data[:512] + f"\n[ishcd] {len(data) - 1024} bytes".encode())
    assert final.endswith(b"of 1024 bytes)\n" + data[-512:])
    store.close_all()


def test_a_finish_cut_off_by_a_crash_is_done_again(tmp_path: Path) -> None:
    store = LogStore(tmp_path, max_bytes=1024)
    data = bytes(range(256)) * 20
    store.append(RUN, 0, data)
    with open(store.path(RUN), "ab") as half_written:
        half_written.write(b"\n[ishcd] 40")  # the process died here
    again = LogStore(tmp_path, max_bytes=1024)
    size = again.close(RUN)
    final = b"".join(again.read(RUN, 0, size))
    assert final == data[:512] + b"\n[ishcd] 4096 bytes of log dropped here" + final[551:]
    assert final.endswith(data[-512:])
    store.close_all()


def test_memory_and_disk_stay_bounded_past_the_cap(tmp_path: Path) -> None:
    cap = 64 * 1024
    store = LogStore(tmp_path, max_bytes=cap)
    chunk = b"x" * 65536
    offset = 0
    for _ in range(200):  # 12.5 MiB through a 64 KiB cap
        offset = store.append(RUN, offset, chunk)
    on_disk = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    assert on_disk <= cap + cap // 8 + 16
    assert len(_final(store)) < cap + 100


def test_a_log_that_cannot_be_written_never_fails_the_appender(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    store = LogStore(blocked, max_bytes=1024)
    assert store.append(RUN, 0, b"a" * 5000) == 5000  # counted, not stored
    assert store.append(RUN, 5000, b"b") == 5001
    assert store.size(RUN) == 0
    assert store.close(RUN) == 0
