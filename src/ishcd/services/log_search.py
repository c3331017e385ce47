"""Searching a run's whole log: the exact number of matches, and one page of them.

The log is read in buffers of whole lines (``BUFFER`` bytes, cut after their
last newline; the rest starts the next buffer), so a match never straddles a
read and nothing holds the whole log (a line longer than ``BUFFER`` is searched
in pieces of that size). Line numbers come from the line index. Matches lie
within one line. Plain text is counted with ``count`` (and found with ``find``
only for the page asked for); ``ignore_case`` lowers ASCII letters of buffer
and query alike. A regex is a Python regex over the log's bytes, run by the ``regex``
module, which gives the matching up without holding the GIL and stops it at a
deadline: a search (plain or regex) that takes longer than ``SEARCH_SECONDS``
is refused with a message saying so. A regex match that takes in a newline is
found again line by line, so every match is within its line.

The log is read from its store as it goes (a buffer at a time); the matching
of each buffer runs in a thread, so the event loop goes on serving meanwhile.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import regex

from ishcd import exceptions
from ishcd.db.runs import RunRecord
from ishcd.logstore import LogStore
from ishcd.services import logs as logs_service
from ishcd.services import run_state

BUFFER = 4 * 1024 * 1024
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
    """Finds the query in a buffer of whole lines: ``buffer[:end]``."""

    def __init__(self, query: Query):
        self.needle = query.text.encode()
        self.ignore_case = query.ignore_case
        self.pattern: regex.Pattern[bytes] | None = None
        if query.regex:
            self.pattern = compile_pattern(query)
        elif self.ignore_case:
            self.needle = self.needle.lower()

    def count(self, buffer: bytearray, end: int, deadline: float) -> int:
        if self.pattern is not None:
            return sum(1 for _ in self.spans(buffer, end, deadline))
        if self.ignore_case:
            return buffer[:end].lower().count(self.needle)
        return buffer.count(self.needle, 0, end)

    def spans(self, buffer: bytearray, end: int, deadline: float) -> Iterator[tuple[int, int]]:
        """Where the matches are, in order."""
        if self.pattern is None:
            haystack = buffer[:end].lower() if self.ignore_case else buffer
            at = haystack.find(self.needle, 0, end)
            while at != -1:
                yield at, at + len(self.needle)
                at = haystack.find(self.needle, at + len(self.needle), end)
            return
        found = list(self._regex_spans(buffer, 0, end, deadline))
        if any(buffer.find(b"\n", start, stop) != -1 for start, stop in found):
            found = []  # a match took in a newline: match line by line instead
            line_start = 0
            while line_start < end:
                newline = buffer.find(b"\n", line_start, end)
                line_end = end if newline == -1 else newline
                found.extend(self._regex_spans(buffer, line_start, line_end, deadline))
                line_start = line_end + 1
        yield from found

    def _regex_spans(
        self, buffer: bytearray, start: int, end: int, deadline: float
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


async def _buffers(
    logs: LogStore, run_id: str, size: int
) -> AsyncIterator[tuple[int, bytearray, int]]:
    """(offset, buffer, end) over the first ``size`` bytes of the log: ``buffer[:end]``
    holds whole lines. The buffer is used again for the next: done with it by then."""
    buffer = bytearray(2 * BUFFER)
    view = memoryview(buffer)
    at = carry = 0  # the log offset of buffer[0]; bytes kept from the last read
    try:
        while at + carry < size:
            read = await logs.readinto(
                run_id, at + carry, view[carry : carry + min(BUFFER, size - at - carry)]
            )
            if read == 0:
                break
            filled = carry + read
            cut = buffer.rfind(b"\n", 0, filled) + 1
            if at + filled >= size:
                cut = filled  # the end of the log: its last line may have no newline
            elif cut == 0:
                if filled < BUFFER:
                    carry = filled
                    continue
                cut = filled  # a line longer than BUFFER: searched in pieces
            yield at, buffer, cut
            buffer[: filled - cut] = buffer[cut:filled]
            at, carry = at + cut, filled - cut
    finally:
        view.release()


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


Found = list[tuple[int, bytes, int, int]]  # (line start, line, match start, match end)


def _scan(
    matcher: _Matcher, at: int, buffer: bytearray, end: int, wanted: int, room: int, deadline: float
) -> tuple[int, Found]:
    """The matches in ``buffer[:end]`` (log offset ``at``), and up to ``room`` of
    them after the first ``wanted``."""
    count = matcher.count(buffer, end, deadline)
    found: Found = []
    if count > wanted and room > 0:
        for number, (start, stop) in enumerate(matcher.spans(buffer, end, deadline)):
            if number < wanted:
                continue
            if len(found) >= room:
                break
            line_start = buffer.rfind(b"\n", 0, start) + 1
            newline = buffer.find(b"\n", start, end)
            line_end = end if newline == -1 else newline
            line = bytes(buffer[line_start:line_end])
            found.append((at + line_start, line, start - line_start, stop - line_start))
    return count, found


async def search_log(logs: LogStore, run: RunRecord, query: Query, skip: int, take: int) -> Result:
    """The number of matches in the whole log, and matches ``skip`` to ``skip + take``."""
    logs_service.check_log_kept(run)
    matcher = _Matcher(query)
    size = await logs_service.log_end(logs, run)
    deadline = time.monotonic() + SEARCH_SECONDS
    total = 0
    found: Found = []
    try:
        async for at, buffer, end in _buffers(logs, run.id, size):
            if time.monotonic() > deadline:
                raise _TooLong
            wanted, room = max(0, skip - total), take - len(found)
            count, more = await asyncio.to_thread(
                _scan, matcher, at, buffer, end, wanted, room, deadline
            )
            found += more
            total += count
    except _TooLong as exc:
        raise exceptions.ValidationFailed.one(
            "q",
            f"the search took longer than {SEARCH_SECONDS:g} s and was stopped: "
            "search for something more specific",
        ) from exc
    async with logs.lines(run.id, size) as index:
        lines = await index.count()
        matches = [
            _match(await index.line_of(line_start) + 1, line_start, line, start, stop)
            for line_start, line, start, stop in found
        ]
    return Result(
        total=total,
        matches=matches,
        size=size,
        lines=lines,
        complete=run.status in run_state.FINISHED,
    )


def _match(number: int, line_start: int, line: bytes, start: int, end: int) -> Match:
    text, column, text_start, text_end = _text_around(line, start, min(end, len(line)))
    return Match(
        line=number,
        offset=line_start,
        match_offset=line_start + start,
        column=column,
        text=text,
        start=text_start,
        end=text_end,
    )


_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


async def find_in_log(logs: LogStore, run: RunRecord, query: Query, skip: int, take: int) -> Result:
    """``search_log``, at most ``AT_ONCE`` at a time."""
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = asyncio.Semaphore(AT_ONCE)
    async with turn:
        return await search_log(logs, run, query, skip, take)
