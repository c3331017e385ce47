"""The pure parts of following runs and pipelines: log tails, change lines, polling."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from ishcd.cli import runs, watch
from ishcd.client import ConnectionFailed, ServerError


@pytest.mark.parametrize(
    ("chunks", "count", "tail"),
    [
        ([b"a\nb\nc\n"], 2, b"b\nc\n"),
        ([b"a\nb", b"\nc"], 2, b"b\nc"),
        ([b"a\n", b"b\n"], 5, b"a\nb\n"),
        ([b"a\nb\n"], 0, b""),
        ([], 3, b""),
        ([b"x", b"y", b"z\n\xff\n"], 1, b"\xff\n"),
    ],
)
def test_last_lines_of_a_stream_of_chunks(chunks: list[bytes], count: int, tail: bytes) -> None:
    assert runs.last_lines(chunks, count) == tail


def job(name: str, status: str, reason: str | None = None, took: int | None = None) -> Any:
    started = None if took is None else 100
    finished = None if took is None else 100 + took
    return SimpleNamespace(
        name=name, status=status, error_reason=reason, started=started, finished=finished
    )


def board(status: str, *workflows: tuple[str, list[Any]]) -> Any:
    return SimpleNamespace(
        pipeline=SimpleNamespace(status=status),
        workflows=[(SimpleNamespace(name=name), jobs) for name, jobs in workflows],
    )


def test_lines_print_one_line_per_change_never_per_poll() -> None:
    printed: list[str] = []
    view = watch.Lines(printed.append)
    view.update(board("running", ("main", [job("build", "running"), job("test", "queued")])))
    view.update(board("running", ("main", [job("build", "running"), job("test", "queued")])))
    view.update(
        board(
            "error", ("main", [job("build", "complete", took=2), job("test", "error", "failed", 0)])
        )
    )
    view.update(
        board(
            "error", ("main", [job("build", "complete", took=2), job("test", "error", "failed", 0)])
        )
    )
    assert [line.split(" ", 1)[1] for line in printed] == [
        "build running",
        "test queued",
        "build complete 2s",
        "test error (failed) 0s",
    ]
    assert all(line[2] == ":" and line[5] == ":" for line in printed)


def test_lines_name_the_workflow_when_there_are_several() -> None:
    printed: list[str] = []
    watch.Lines(printed.append).update(
        board("running", ("lint", [job("check", "queued")]), ("main", [job("check", "queued")]))
    )
    assert [line.split(" ", 1)[1] for line in printed] == ["lint/check queued", "main/check queued"]


def test_follow_backs_off_while_the_server_cannot_answer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers: list[Any] = [
        ConnectionFailed("cannot reach http://x: Connection refused"),
        ServerError("the database is unavailable", status=503),
        board("running"),
        ConnectionFailed("cannot reach http://x: Connection refused"),
        board("complete"),
    ]

    def read(client: Any, pipeline_id: str) -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(watch, "read_board", read)
    seen: list[Any] = []
    sleeps: list[float] = []
    view = SimpleNamespace(update=seen.append, close=lambda: None)
    done = watch.follow(SimpleNamespace(), "p", view, sleep=sleeps.append)  # type: ignore[arg-type]
    assert done.status == "complete"
    assert [b.pipeline.status for b in seen] == ["running", "complete"]
    assert sleeps == [1.0, 2.0, 1.0, 1.0]  # backing off, then back to the interval
    assert capsys.readouterr().err.splitlines() == [
        "cannot reach http://x: Connection refused; trying again in 1s",
        "the database is unavailable; trying again in 2s",
        "cannot reach http://x: Connection refused; trying again in 1s",
    ]


def test_follow_gives_up_after_a_minute_of_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    def read(client: Any, pipeline_id: str) -> Any:
        raise ConnectionFailed("cannot reach http://x")

    monkeypatch.setattr(watch, "read_board", read)
    sleeps: list[float] = []
    view = SimpleNamespace(update=lambda b: None, close=lambda: None)
    with pytest.raises(ConnectionFailed):
        watch.follow(SimpleNamespace(), "p", view, sleep=sleeps.append)  # type: ignore[arg-type]
    assert len(sleeps) == watch.GIVE_UP_AFTER
    assert 45 <= sum(sleeps) <= 90
