"""A run's step sections, found in its log as it is written.

A pipeline job's script announces each step with a line of its own,
``[ishcd] step N/M: NAME`` (``services.workflows.script_of``). The runner
watches what it sends to the log for those lines, in order (step N only after
step N - 1), and makes each a section: from its banner line to the next one,
the last to the end of the log. Steps run under ``bash -e``, so a step that
started another has passed (exit 0); the last step started ends the way the
run does. Steps never started are not listed.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace

from ishcd.runner.protocol import Outcome, Section

PREFIX = b"[ishcd] step "
BANNER = re.compile(rb"\[ishcd\] step (\d{1,6})/(\d{1,6}): (.*?)\r?")
MAX_BANNER = 4096  # a longer line is no banner


class SectionTracker:
    def __init__(self) -> None:
        self.sections: list[Section] = []
        self._total: int | None = None
        self._at_line_start = True
        self._pending: bytes | None = None  # the start of a line that may be a banner
        self._pending_at = 0

    def feed(self, offset: int, data: bytes) -> bool:
        """``data`` went to the log at ``offset``; whether a section started."""
        if not data:
            return False
        started = False
        pos = 0
        at_start = self._at_line_start
        if self._pending is not None:
            newline = data.find(b"\n")
            if newline == -1:
                self._keep_pending(self._pending + data)
                return False
            started |= self._banner(self._pending_at, self._pending + data[:newline])
            self._pending = None
            pos, at_start = newline + 1, True
        last_newline = data.rfind(b"\n")
        search = pos
        while (found := data.find(PREFIX, search, last_newline + 1)) != -1:
            if (found == pos and at_start) or (found > 0 and data[found - 1] == 10):
                end = data.find(b"\n", found)
                started |= self._banner(offset + found, data[found:end])
            search = found + 1
        tail_start = max(pos, last_newline + 1)
        tail = data[tail_start:]
        at_line_start = tail_start > pos or at_start
        if tail and at_line_start and (tail.startswith(PREFIX) or PREFIX.startswith(tail)):
            self._pending_at = offset + tail_start
            self._keep_pending(tail)
        self._at_line_start = data.endswith(b"\n")
        return started

    def _keep_pending(self, line: bytes) -> None:
        self._pending = line if len(line) <= MAX_BANNER else None

    def _banner(self, at: int, line: bytes) -> bool:
        match = BANNER.fullmatch(line)
        if match is None or len(line) > MAX_BANNER:
            return False
        number, total = int(match[1]), int(match[2])
        if number != len(self.sections) + 1 or (self._total is not None and total != self._total):
            return False
        self._total = total
        now = time.time()
        if self.sections:
            self.sections[-1] = replace(
                self.sections[-1], end=at, finished=now, status="complete", exit_code=0
            )
        name = match[3].decode(errors="replace")
        self.sections.append(Section(number=number, name=name, start=at, started=now))
        return True

    def finish(self, end: int, outcome: Outcome) -> None:
        """The run ended at offset ``end``: its last section ends as it did."""
        if not self.sections:
            return
        reason = outcome.error_reason
        if reason is None and outcome.exit_code != 0:
            reason = "failed"
        self.sections[-1] = replace(
            self.sections[-1],
            end=end,
            finished=time.time(),
            status="error" if reason is not None else "complete",
            exit_code=outcome.exit_code,
            error_reason=reason,
        )
