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
