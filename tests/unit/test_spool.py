"""The agent's spool: output buffered on disk, bounded, sent by offset (no server)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from ishcd.runner.protocol import Section
from ishcd.runner.spool import Spool

LIMIT = 64 * 1024
DROP_LINE = re.compile(rb"\[ishcd\] (\d+) bytes of output dropped here: [^\n]*\n")


class FakeServer:
    """A log as the server keeps it: chunks by offset, a resend stored once, a gap refused."""

    def __init__(self, start: bytes = b"") -> None:
        self.log = bytearray(start)

    def put(self, offset: int, data: bytes) -> int | None:
        """The size after, or None for a gap (the server's 416)."""
        if offset > len(self.log):
            return None
        self.log += data[len(self.log) - offset :]
        return len(self.log)


def deliver(spool: Spool, server: FakeServer) -> None:
    while (chunk := spool.next_chunk()) is not None:
        size = server.put(*chunk)
        if size is None:
            spool.rewind(len(server.log))
        else:
            spool.acknowledged(size)


def output(size: int, seed: int = 0) -> bytes:
    """Lines that say where they are, so a cut shows."""
    lines, total, n = [], 0, 0
    while total < size:
        line = f"{seed}:{n:09d} the quick brown fox\n".encode()
        lines.append(line)
        total += len(line)
        n += 1
    return b"".join(lines)[:size]


def write_all(spool: Spool, data: bytes, piece: int = 65536) -> None:
    for at in range(0, len(data), piece):
        spool.write(spool.runner_end, data[at : at + piece])


def test_output_reaches_the_server_whole_and_sent_files_go(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "run", start=0, limit=64 * 1024 * 1024, segment_bytes=65536)
    server = FakeServer()
    data = output(1_000_000)
    for at in range(0, len(data), 10_000):
        spool.write(spool.runner_end, data[at : at + 10_000])
        if at % 70_000 == 0:
            deliver(spool, server)
    deliver(spool, server)
    assert bytes(server.log) == data
    assert spool.unsent == 0
    assert spool.end == len(data)
    # Only the last segments stay (for a resend); the rest were deleted as they were sent.
    assert len(list((tmp_path / "run").iterdir())) <= 2
    spool.close()
    assert not (tmp_path / "run").exists()


def test_a_later_attempt_starts_at_the_logs_size(tmp_path: Path) -> None:
    earlier = b"attempt 1 output\n[ishcd] attempt 2 of 2\n"
    server = FakeServer(earlier)
    spool = Spool(tmp_path / "run", start=len(earlier), limit=LIMIT)
    spool.write(len(earlier), b"attempt 2 output\n")
    deliver(spool, server)
    assert bytes(server.log) == earlier + b"attempt 2 output\n"
    with pytest.raises(ValueError, match="ends at"):
        spool.write(0, b"out of place")


def test_past_the_bound_head_and_tail_are_kept_and_a_line_says_what_was_dropped(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path / "run", start=0, limit=LIMIT)
    data = output(2_000_000)
    write_all(spool, data, piece=4096)
    # The bound holds on disk while the server is away (to within a segment).
    assert spool.unsent <= LIMIT + spool.segment_bytes
    on_disk = sum(path.stat().st_size for path in (tmp_path / "run").iterdir())
    assert on_disk <= LIMIT + spool.segment_bytes
    server = FakeServer()
    deliver(spool, server)
    log = bytes(server.log)
    lines = DROP_LINE.findall(log)
    assert len(lines) == 1, "drops while nothing was sent make one line"
    head, tail = DROP_LINE.split(log)[0], DROP_LINE.split(log)[-1]
    assert len(head) >= LIMIT // 4
    assert data.startswith(head)
    assert len(tail) >= LIMIT // 4
    assert data.endswith(tail)
    assert int(lines[0]) == len(data) - len(head) - len(tail) == spool.dropped


def test_a_chunk_on_its_way_is_never_changed_by_a_drop(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "run", start=0, limit=LIMIT)
    server = FakeServer()
    data = output(600_000)
    for at in range(0, 100_000, 4096):  # the server had this part
        spool.write(spool.runner_end, data[at : min(at + 4096, 100_000)])
        deliver(spool, server)
    write_all(spool, data[100_000:110_000], piece=4096)
    chunk = spool.next_chunk()  # ... and this one is on its way when the server goes
    assert chunk is not None
    write_all(spool, data[110_000:], piece=4096)
    assert server.put(*chunk) is not None  # it arrives after all
    spool.acknowledged(len(server.log))
    deliver(spool, server)
    log = bytes(server.log)
    (line,) = DROP_LINE.findall(log)
    head, tail = DROP_LINE.split(log)[0], DROP_LINE.split(log)[-1]
    assert data.startswith(head)
    assert len(head) >= 110_000
    assert data.endswith(tail)
    assert int(line) == len(data) - len(head) - len(tail)


def test_a_second_outage_drops_again_after_the_first_lines(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "run", start=0, limit=LIMIT)
    server = FakeServer()
    first, second = output(500_000, seed=1), output(500_000, seed=2)
    write_all(spool, first)
    deliver(spool, server)
    write_all(spool, second)
    deliver(spool, server)
    log = bytes(server.log)
    parts = DROP_LINE.split(log)
    counts = [int(n) for n in DROP_LINE.findall(log)]
    assert len(parts) == 5  # head, count, middle, count, tail (split keeps the groups)
    assert first.startswith(parts[0])
    assert second.endswith(parts[4])
    assert sum(counts) == len(first) + len(second) - len(parts[0]) - len(parts[2]) - len(parts[4])
    assert spool.dropped == sum(counts)


def test_after_a_gap_the_sender_resends_from_the_servers_size(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "run", start=0, limit=64 * 1024 * 1024, segment_bytes=65536)
    server = FakeServer()
    data = output(300_000)
    write_all(spool, data[:200_000])
    deliver(spool, server)
    # The server lost what it had past 150 000 bytes (say it was restored from earlier).
    del server.log[150_000:]
    write_all(spool, data[200_000:])
    chunk = spool.next_chunk()
    assert chunk is not None
    assert chunk[0] == 200_000
    assert server.put(*chunk) is None  # a gap: 416, X-Log-Size 150000
    spool.rewind(len(server.log))
    deliver(spool, server)
    assert bytes(server.log) == data


def test_a_gap_past_what_the_spool_still_holds_is_said_in_the_log(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "run", start=0, limit=LIMIT, keep_sent=0)
    server = FakeServer()
    data = output(100_000)
    write_all(spool, data)
    deliver(spool, server)
    del server.log[10_000:]
    write_all(spool, b"more\n")
    spool.rewind(len(server.log))
    deliver(spool, server)
    log = bytes(server.log)
    assert log.startswith(data[:10_000] + b"[ishcd] ")
    assert b"bytes of output were lost on the server\n" in log
    assert log.endswith(b"more\n")
    assert spool.end == len(log)


def section(number: int, start: int, end: int | None) -> Section:
    return Section(number, f"step {number}", start, time.time(), end=end)


def test_sections_are_sent_after_their_log_in_the_servers_offsets(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "run", start=0, limit=LIMIT)
    server = FakeServer()
    data = output(400_000)
    write_all(spool, data[:1000])
    spool.set_sections([section(1, 0, None)])
    assert spool.due_sections() is None  # its log is not on the server yet
    deliver(spool, server)
    due = spool.due_sections()
    assert due is not None
    version, sections = due
    assert [s.start for s in sections] == [0]
    spool.sections_sent(version)
    assert spool.due_sections() is None
    assert not spool.sections_pending()
    # The server goes away; step 2 starts in what is dropped, step 3 in the tail.
    write_all(spool, data[1000:200_000])
    write_all(spool, data[200_000:])
    spool.set_sections(
        [section(1, 0, 1000), section(2, 1000, 399_000), section(3, 399_000, 400_000)]
    )
    deliver(spool, server)
    due = spool.due_sections()
    assert due is not None
    starts = [s.start for s in due[1]]
    log = bytes(server.log)
    line = DROP_LINE.search(log)
    assert line is not None
    assert starts[0] == 0
    assert starts[1] == 1000  # in the head: where it was
    assert log[starts[2] :] == data[399_000:]  # in the tail: moved up with it
    assert due[1][2].end == len(log)
    spool.set_sections([section(4, 300_000, None)])  # started inside the dropped part
    due = spool.due_sections()
    assert due is not None
    assert due[1][0].start == line.start()
