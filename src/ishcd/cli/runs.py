"""``ishcd runs show|log|cancel RUN``: one run, by its id or a unique start of it."""

from __future__ import annotations

import json
import re
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Annotated

import typer

from ishcd.cli import lists
from ishcd.cli.connect import (
    DEFAULT_URL,
    TokenOption,
    UrlOption,
    client_from,
    fail,
    reporting_errors,
)
from ishcd.cli.pipeline_report import columns, status_text
from ishcd.client import Client, Run, RunHandle

ID_LENGTH = 36  # a whole UUID: read at once, without a search
SHOWN_MATCHES = 5  # how many runs an ambiguous prefix names
PREFIX = re.compile(r"[0-9a-f]{4}[0-9a-f-]{0,31}")  # as GET /v1/runs?id_prefix= takes it

RunArgument = Annotated[
    str,
    typer.Argument(
        metavar="RUN",
        help="A run id, or its start (at least 4 hex digits) if no other run you can see starts so",
        show_default=False,
    ),
]


def resolve(client: Client, ref: str) -> RunHandle:
    """The run ``ref`` names: a whole id, or the start of exactly one visible run's id."""
    ref = ref.strip().lower()
    if len(ref) == ID_LENGTH:
        return client.runs(ref)
    if not PREFIX.fullmatch(ref):
        raise fail(f"{ref!r} is not a run id, nor its start (at least 4 hex digits)", 2)
    found = client.find_runs(ref, limit=SHOWN_MATCHES + 1)
    if not found:
        raise fail(f"no run you can see has an id starting with {ref!r}")
    if len(found) > 1:
        names = ", ".join(run.id for run in found[:SHOWN_MATCHES])
        more = "…" if len(found) > SHOWN_MATCHES else ""
        raise fail(f"ambiguous: {ref!r} matches {names}{more}; give more of the id")
    return found[0].handle


def when(seconds: int | None) -> str:
    """A Unix time as local time, ``2026-12-03 07:00:01``; ``-`` for none."""
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def describe(run: Run, branch: str | None) -> list[str]:
    """What ``ishcd runs show`` prints: one ``name: value`` line per fact."""
    status = status_text(run.status, run.error_reason)
    if run.started is not None:
        took = lists.duration_text(run.duration)
        status += f" after {took}" if run.is_finished else f" for {took}"
    if run.exit_code is not None:
        status += f", exit code {run.exit_code}"
    who = f" by {run.created_by.username}" if run.created_by else ""
    rows = [
        ("status:", status),
        ("created:", f"{when(run.created)}{who} ({lists.ago(run.created, time.time())})"),
        ("started:", when(run.started)),
        ("finished:", when(run.finished)),
    ]
    if run.pipeline is not None:
        on = f" {branch}" if branch else ""
        rows.append(("pipeline:", f"#{run.pipeline.number}{on} ({run.pipeline.id})"))
    if run.workflow is not None:
        rows.append(("workflow:", f"{run.workflow.name} ({run.workflow.id})"))
    job = run.job.name if run.pipeline is not None else run.job.machine_name
    rows.append(("job:", job))
    env = ", ".join(f"{name}={value}" for name, value in sorted(run.env.items()))
    rows.append(("env:", env or "none"))
    if run.log_removed is not None:
        rows.append(("log:", f"deleted {when(run.log_removed)}, past its retention"))
    return [f"run {run.id} ({run.project.machine_name})", *columns(rows)]


def last_lines(chunks: Iterable[bytes], count: int) -> bytes:
    """The last ``count`` lines of a stream of bytes (a last line without a newline counts)."""
    kept: deque[bytes] = deque(maxlen=count + 1)
    partial = b""
    for chunk in chunks:
        lines = (partial + chunk).split(b"\n")
        partial = lines.pop()
        kept.extend(line + b"\n" for line in lines)
    if partial:
        kept.append(partial)
    return b"".join(list(kept)[-count:]) if count else b""


class Counted:
    """Chunks of bytes passed on, counting how many went by."""

    def __init__(self, chunks: Iterable[bytes]):
        self.chunks = chunks
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.size += len(chunk)
            yield chunk


def write_bytes(chunks: Iterable[bytes]) -> None:
    """Write bytes to stdout unchanged (colours, binary), flushing each chunk as it comes."""
    sys.stdout.flush()
    out = sys.stdout.buffer
    for chunk in chunks:
        out.write(chunk)
        out.flush()


runs_app = lists.runs_app


@runs_app.command("show")
def show(
    ref: RunArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON instead")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Show a run: status, times, who started it, env (secrets masked), pipeline and job."""
    with client_from(url, token) as client, reporting_errors():
        run = resolve(client, ref).get()
        if as_json:
            typer.echo(json.dumps(run.raw, indent=2))
            return
        branch = None
        if run.pipeline is not None:
            branch = client.pipelines(run.pipeline.id).get().vcs.branch
    for line in describe(run, branch):
        typer.echo(line)


@runs_app.command("log")
def log(
    ref: RunArgument,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            "-f",
            help="Print the log as it is written until the run ends; exit 0 if it completes, "
            "else 1",
        ),
    ] = False,
    tail: Annotated[
        int | None,
        typer.Option(
            "--tail", metavar="N", min=0, help="Only the last N lines", show_default=False
        ),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Print a run's log to stdout as it was written: bytes unchanged, colours kept."""
    with client_from(url, token) as client, reporting_errors():
        handle = resolve(client, ref)
        try:
            if tail is not None:
                # The log so far, streamed, not held whole: its size is where to follow on.
                read = Counted(handle.stream_log(0))
                write_bytes([last_lines(read, tail)])
                if follow:
                    write_bytes(handle.stream_log(read.size, follow=True))
            else:
                write_bytes(handle.stream_log(0, follow=follow))
            if not follow:
                return
            run = handle.wait()
        except KeyboardInterrupt:
            typer.echo(f"\nstopped following; run {handle.id} goes on", err=True)
            raise typer.Exit(130) from None
    raise typer.Exit(0 if run.ok else 1)


@runs_app.command("cancel")
def cancel(ref: RunArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Cancel a run: a queued one ends at once, a running one's processes are stopped."""
    with client_from(url, token) as client, reporting_errors():
        run = resolve(client, ref).cancel()
    if run.is_finished:
        typer.echo(f"run {run.id} {status_text(run.status, run.error_reason)}")
    else:
        typer.echo(f"run {run.id} {run.status}, stopping")


def register(app: typer.Typer) -> None:
    """The commands are on ``ishcd runs`` (made in :mod:`ishcd.cli.lists`), already added."""
