"""Step sections found in a log as it is written, and kept by the log store."""

from __future__ import annotations

import random

from ishcd.runner.protocol import Outcome
from ishcd.runner.sections import SectionTracker

LOG = (
    b"[ishcd] checking out abc\n"
    b"[ishcd] step 1/3: build\n"
    b"building\n"
    b"[ishcd] step 2/3: fake, printed by the step itself\n"  # out of order? no: 2 is next
    b"no newline then [ishcd] step 3/3: not at a line start\n"
    b"[ishcd] step 9/3: out of order\n"
    b"[ishcd] step 3/3: test\r\n"
    b"testing"
)


def feed_in_pieces(data: bytes, seed: int) -> SectionTracker:
    rng = random.Random(seed)
    tracker = SectionTracker()
    at = 0
    while at < len(data):
        piece = data[at : at + rng.randint(1, 12)]
        tracker.feed(at, piece)
        at += len(piece)
    return tracker


def test_banners_are_found_whatever_the_chunks() -> None:
    expected = [
        (1, "build", LOG.index(b"[ishcd] step 1/3")),
        (2, "fake, printed by the step itself", LOG.index(b"[ishcd] step 2/3")),
        (3, "test", LOG.index(b"[ishcd] step 3/3: test")),
    ]
    for seed in range(30):
        tracker = feed_in_pieces(LOG, seed)
        found = [(s.number, s.name, s.start) for s in tracker.sections]
        assert found == expected, seed
        assert [s.end for s in tracker.sections] == [expected[1][2], expected[2][2], None]
        assert tracker.sections[0].status == "complete"
        assert tracker.sections[0].exit_code == 0
    whole = SectionTracker()
    whole.feed(0, LOG)
    assert [(s.number, s.name, s.start) for s in whole.sections] == expected


def test_the_last_section_ends_as_the_run() -> None:
    tracker = SectionTracker()
    tracker.feed(0, b"[ishcd] step 1/2: a\nout\n")
    tracker.finish(24, Outcome(exit_code=7))
    last = tracker.sections[-1]
    assert (last.end, last.status, last.exit_code, last.error_reason) == (24, "error", 7, "failed")
    tracker = SectionTracker()
    tracker.feed(0, b"[ishcd] step 1/1: a\n")
    tracker.finish(20, Outcome(exit_code=143, error_reason="canceled"))
    assert tracker.sections[-1].error_reason == "canceled"
    empty = SectionTracker()
    empty.finish(0, Outcome(exit_code=0))
    assert empty.sections == []
