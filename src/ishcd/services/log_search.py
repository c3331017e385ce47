"""Searching a run's whole log: the exact number of matches, and one page of them.

The log is read in buffers of whole lines (``BUFFER`` bytes, cut after their
last newline; the rest starts the next buffer), so a match never straddles a
read and nothing holds the whole log. Matches lie within one line. Plain text
is counted with ``bytes.count`` (and found with ``bytes.find`` only for the
page asked for); ``ignore_case`` lowers ASCII letters of buffer and query
alike. A regex is a Python regex over the log's bytes, run by the ``regex``
module, which gives the matching up without holding the GIL and stops it at a
deadline: a search (plain or regex) that takes longer than ``SEARCH_SECONDS``
is refused with a message saying so. A regex match that takes in a newline is
found again line by line, so every match is within its line.

Everything here reads files and can take a second: call it in a thread.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import regex

from ishcd import exceptions
from ishcd.db.runs import RunRecord
from ishcd.logstore import LogStore
from ishcd.services import logs as logs_service
from ishcd.services import run_state

BUFFER = 4 * 1024 * 1024
# A line longer than this is searched in pieces of this size (a match across
# two pieces is not found).
MAX_LINE = 16 * 1024 * 1024
MAX_QUERY = 1000
SEARCH_SECONDS = 10.0
# Searches at once per server; more wait their turn (each takes a thread and a core).
AT_ONCE = 2
# A match's line is given whole up to this many characters; a longer one is cut
# to this much around the match.
TEXT_CHARS = 500


@dataclass(frozen=True)
class Query:
    text: str
    regex: bool = False
    ignore_case: bool = False


@dataclass(frozen=True)
class Match:
    line: int  # from 1
    offset: int  # where the line starts
    match_offset: int  # where the match starts
    column: int  # where the match starts in the line, in code points
    text: str  # the line, or the part of it around the match when it is long
    start: int  # the match within ``text``, in code points
    end: int


@dataclass(frozen=True)
class Result:
    total: int
    matches: list[Match]
    size: int  # bytes searched: the log readable when the search began
    lines: int  # lines searched
    complete: bool  # the run has finished: ``total`` is final


class _Matcher:
    def __init__(self, query: Query):
        self.needle = query.text.encode()
        self.ignore_case = query.ignore_case
        self.pattern: regex.Pattern[bytes] | None = None
        if query.regex:
            self.pattern = compile_pattern(query)
        elif self.ignore_case:
            self.needle = self.needle.lower()

    def count(self, buffer: bytes, deadline: float) -> int:
        if self.pattern is None:
            return (buffer.lower() if self.ignore_case else buffer).count(self.needle)
        return sum(1 for _ in self.spans(buffer, deadline))

    def spans(self, buffer: bytes, deadline: float) -> Iterator[tuple[int, int]]:
        """Where the matches are in ``buffer`` (whole lines), in order."""
        if self.pattern is None:
            haystack = buffer.lower() if self.ignore_case else buffer
            at = haystack.find(self.needle)
            while at != -1:
                yield at, at + len(self.needle)
                at = haystack.find(self.needle, at + len(self.needle))
            return
        found = list(self._regex_spans(buffer, 0, len(buffer), deadline))
        if any(buffer.find(b"\n", start, end) != -1 for start, end in found):
            found = []  # a match took in a newline: match line by line instead
            line_start = 0
            while line_start < len(buffer):
                newline = buffer.find(b"\n", line_start)
                line_end = len(buffer) if newline == -1 else newline
                found.extend(self._regex_spans(buffer, line_start, line_end, deadline))
                line_start = line_end + 1
        yield from found

    def _regex_spans(
        self, buffer: bytes, start: int, end: int, deadline: float
    ) -> Iterator[tuple[int, int]]:
        assert self.pattern is not None
        left = deadline - time.monotonic()
        if left <= 0:
            raise _TooLong
        try:
            for match in self.pattern.finditer(buffer, start, end, concurrent=True, timeout=left):
                if match.end() > match.start():  # an empty match is not one
                    yield match.span()
        except TimeoutError as exc:
            raise _TooLong from exc


class _TooLong(Exception):
    pass


def compile_pattern(query: Query) -> regex.Pattern[bytes]:
    """The query as a regex on bytes; a 422 naming ``q`` when it is not a good one."""
    flags = regex.MULTILINE | (regex.IGNORECASE if query.ignore_case else 0)
    try:
        pattern = regex.compile(query.text.encode(), flags)
    except regex.error as exc:
        raise exceptions.ValidationFailed.one("q", f"not a valid regex: {exc}") from exc
    if pattern.search(b"") is not None:
        raise exceptions.ValidationFailed.one(
            "q", "the regex matches an empty string: every line would match"
        )
    return pattern


def check_query(query: Query) -> None:
    """Refuse a query that cannot be searched for, before opening any log."""
    if not query.text:
        raise exceptions.ValidationFailed.one("q", "give the text to search for")
    if "\n" in query.text and not query.regex:
        raise exceptions.ValidationFailed.one("q", "a match lies within one line: no newline")
    if query.regex:
        compile_pattern(query)


def _buffers(logs: LogStore, run_id: str, size: int) -> Iterator[tuple[int, bytes]]:
    """(offset, whole lines) over the first ``size`` bytes of the log."""
    carry = b""
    at = 0  # offset of carry[0]
    for chunk in logs.read(run_id, 0, size, chunk_size=BUFFER):
        carry = carry + chunk if carry else chunk
        cut = carry.rfind(b"\n") + 1
        if cut == 0:
            if len(carry) < MAX_LINE:
                continue
            cut = len(carry)  # one line longer than MAX_LINE: searched in pieces
        yield at, carry[:cut]
        at, carry = at + cut, carry[cut:]
    if carry:
        yield at, carry


def _text_around(line: bytes, start: int, end: int) -> tuple[str, int, int, int]:
    """The line's text, or the part of it around the match when it is long; the
    match's column in the whole line, and the match within that text (code points)."""
    before = line[:start].decode(errors="replace")
    matched = line[start:end].decode(errors="replace")
    after = line[end:].decode(errors="replace")
    column = len(before)
    if len(before) + len(matched) + len(after) <= TEXT_CHARS:
        return before + matched + after, column, column, column + len(matched)
    matched = matched[:TEXT_CHARS]
    room = TEXT_CHARS - len(matched)
    keep = min(len(before), room // 3)
    shown_before = before[len(before) - keep :]
    text = shown_before + matched + after[: room - keep]
    return text, column, len(shown_before), len(shown_before) + len(matched)


def search_log(logs: LogStore, run: RunRecord, query: Query, skip: int, take: int) -> Result:
    """The number of matches in the whole log, and matches ``skip`` to ``skip + take``."""
    logs_service.check_log_kept(run)
    matcher = _Matcher(query)
    size = logs_service.log_end(logs, run)
    deadline = time.monotonic() + SEARCH_SECONDS
    total = 0
    lines = 0  # newlines before the buffer
    matches: list[Match] = []
    try:
        for at, buffer in _buffers(logs, run.id, size):
            if time.monotonic() > deadline:
                raise _TooLong
            count = matcher.count(buffer, deadline)
            if count and total + count > skip and len(matches) < take:
                wanted = skip - total  # matches of this buffer to pass over first
                seen, seen_lines = 0, lines  # newlines of the buffer before ``seen``
                for index, (start, end) in enumerate(matcher.spans(buffer, deadline)):
                    if index < wanted:
                        continue
                    if len(matches) >= take:
                        break
                    seen_lines += buffer.count(b"\n", seen, start)
                    seen = start
                    matches.append(_match(buffer, at, seen_lines, start, end))
            total += count
            lines += buffer.count(b"\n")
    except _TooLong as exc:
        raise exceptions.ValidationFailed.one(
            "q",
            f"the search took longer than {SEARCH_SECONDS:g} s and was stopped: "
            "search for something more specific",
        ) from exc
    last_partial = size > 0 and b"".join(logs.read(run.id, size - 1, size)) != b"\n"
    return Result(
        total=total,
        matches=matches,
        size=size,
        lines=lines + (1 if last_partial else 0),
        complete=run.status in run_state.FINISHED,
    )


def _match(buffer: bytes, at: int, lines_before: int, start: int, end: int) -> Match:
    """The match at ``start`` of ``buffer`` (``at`` in the log), after ``lines_before`` lines."""
    line_start = buffer.rfind(b"\n", 0, start) + 1
    newline = buffer.find(b"\n", start)
    line_end = len(buffer) if newline == -1 else newline
    line = buffer[line_start:line_end]
    text, column, text_start, text_end = _text_around(
        line, start - line_start, min(end, line_end) - line_start
    )
    return Match(
        line=lines_before + 1,
        offset=at + line_start,
        match_offset=at + start,
        column=column,
        text=text,
        start=text_start,
        end=text_end,
    )


_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


async def find_in_log(logs: LogStore, run: RunRecord, query: Query, skip: int, take: int) -> Result:
    """``search_log`` in a thread, at most ``AT_ONCE`` at a time."""
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = asyncio.Semaphore(AT_ONCE)
    async with turn:
        return await asyncio.to_thread(search_log, logs, run, query, skip, take)
