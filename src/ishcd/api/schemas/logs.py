"""Run logs: lines, search results and step sections."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ishcd.services.run_state import Reason


class LogLinesOut(BaseModel):
    first: int = Field(description="The line asked for (`from`), counted from 1")
    offset: int | None = Field(
        description="The byte offset where line `first` starts; null when the log has no "
        "such line (yet)"
    )
    lines: list[str] = Field(
        description="The text of the lines from `first` on, each without its `\\n` (a `\\r` "
        "before it stays); bytes that are not UTF-8 read as U+FFFD"
    )
    next_offset: int | None = Field(description="The byte just past the last line given")
    last_cut: bool = Field(
        description="The last line is longer than 4 MiB: only its first 4 MiB are given"
    )
    total_lines: int = Field(
        description="Lines in the log so far (a last line without its newline counts)"
    )
    size: int = Field(description="Bytes of the log readable now")
    complete: bool = Field(description="The run has finished: the log will not grow")


class MatchOut(BaseModel):
    line: int = Field(description="The line of the match, counted from 1")
    offset: int = Field(description="The byte offset where that line starts")
    match_offset: int = Field(description="The byte offset where the match starts")
    column: int = Field(description="Where the match starts in its line, in code points")
    text: str = Field(
        description="The line (bytes that are not UTF-8 read as U+FFFD); a line longer "
        "than 500 characters is cut to 500 around the match"
    )
    start: int = Field(description="Where the match starts in `text`, in code points")
    end: int = Field(description="Where the match ends in `text` (exclusive), in code points")


class SearchOut(BaseModel):
    total: int = Field(description="The exact number of matches in the whole log")
    page: int
    per_page: int
    matches: list[MatchOut] = Field(
        description="Matches `(page - 1) * per_page + 1` to `page * per_page`, in log order"
    )
    total_lines: int = Field(description="Lines searched")
    size: int = Field(description="Bytes searched: the log readable when the search began")
    complete: bool = Field(description="The run has finished: `total` will not change")


class SectionOut(BaseModel):
    number: int = Field(description="The step's number, from 1")
    name: str = Field(description="The step's name")
    status: Literal["running", "complete", "error"]
    exit_code: int | None = Field(
        description="0 for a step that passed; the script's exit code for the one that "
        "ended the run; null while it runs"
    )
    error_reason: Reason | None = Field(description="As the run's, for the step that ended it")
    start: int = Field(
        description="Byte offset in the stored log where the step's banner line starts"
    )
    end: int | None = Field(
        description="Byte offset just past the step's last byte (the next step's start, "
        "or the end of the log); null while it runs"
    )
    start_line: int = Field(description="The line of `start`, from 1")
    end_line: int | None = Field(description="The step's last line, from 1; null while it runs")
    started: int = Field(description="When the step started (Unix seconds)")
    finished: int | None
    duration: int = Field(description="Whole seconds the step has been (or was) running")
