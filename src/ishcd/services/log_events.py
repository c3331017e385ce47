"""A run's log as Server-Sent Events: what every client follows a live log with.

Each chunk of log is one ``event: log`` whose ``data:`` is the chunk's text as
a JSON string (so newlines travel escaped, on one line) and whose ``id:`` is
the byte offset just past it: a client that reconnects with that id as
``Last-Event-ID`` (or ``?offset=``) gets the log from exactly there. A chunk
never ends inside a UTF-8 sequence (its last bytes wait for the next chunk),
and bytes that are not UTF-8 read as U+FFFD. A quiet stream carries a comment
every ``KEEPALIVE_SECONDS``; when the run has finished and its whole log is
sent, an ``event: status`` says how it ended, and the stream ends.

It rides on ``logs.follow_log``, the same follower as ``?follow=1``.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from ishcd import exceptions
from ishcd.db import runs as runs_db
from ishcd.db.database import Database
from ishcd.logstore import LogStore
from ishcd.services import logs as logs_service
from ishcd.services import run_state
from ishcd.signals import Signals

# A comment this often keeps proxies from cutting a quiet stream (tests patch it).
KEEPALIVE_SECONDS = 15.0
KEEPALIVE = b": keepalive\n\n"
MEDIA_TYPE = "text/event-stream"


def event(name: str, data: str, event_id: int | None = None) -> bytes:
    """One event; ``data`` must be a single line (JSON is)."""
    head = f"event: {name}\n" if event_id is None else f"event: {name}\nid: {event_id}\n"
    return f"{head}data: {data}\n\n".encode()


async def _next(chunks: AsyncIterator[bytes]) -> bytes | None:
    try:
        return await anext(chunks)
    except StopAsyncIteration:
        return None


async def _final_status(db: Database, run_id: str) -> dict[str, Any] | None:
    try:
        async with db.read() as conn:
            run = await runs_db.get_run(conn, run_id)
    except exceptions.Unavailable:
        return None
    if run is None or run.status not in run_state.FINISHED:
        return None
    return {"status": run.status, "exit_code": run.exit_code, "error_reason": run.error_reason}


async def log_events(
    db: Database, logs: LogStore, signals: Signals, run_id: str, offset: int
) -> AsyncIterator[bytes]:
    """The log from ``offset`` as events while it is written, then the run's status."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    position = offset
    chunks = logs_service.follow_log(db, logs, signals, run_id, offset)
    pending: asyncio.Task[bytes | None] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.create_task(_next(chunks))
            done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_SECONDS)
            if not done:
                yield KEEPALIVE
                continue
            chunk, pending = pending.result(), None
            if chunk is None:
                break
            position += len(chunk)
            text = decoder.decode(chunk)
            held = len(decoder.getstate()[0])  # the start of a UTF-8 sequence, kept back
            if text:
                yield event("log", json.dumps(text), position - held)
        rest = decoder.decode(b"", final=True)
        if rest:
            yield event("log", json.dumps(rest), position)
        status = await _final_status(db, run_id)
        if status is not None:
            yield event("status", json.dumps(status))
    finally:
        if pending is not None:
            pending.cancel()  # ends the follower: it is waiting inside this task
        else:
            with contextlib.suppress(RuntimeError):
                await chunks.aclose()
