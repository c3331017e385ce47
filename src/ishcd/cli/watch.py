"""Following a pipeline as it goes: a live view on a terminal, a line per change when piped.

``ishcd pipeline watch`` and the ``--wait`` of ``trigger``, ``approve`` and
``rerun`` poll the API about once a second (backing off while the server
cannot answer), show every workflow's jobs as they change, then report how the
pipeline ended: its jobs, the approvals it waits for, the last lines of each
failed job's log, and the pipelines automatic promotions started.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn, Protocol

import typer
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from ishcd.cli import lists, runs
from ishcd.cli.pipeline_report import (
    error_lines,
    final_line,
    job_detail,
    latest,
    pipeline_line,
    status_text,
    workflow_report,
)
from ishcd.client import (
    Client,
    ConnectionFailed,
    Pipeline,
    ServerError,
    Workflow,
    WorkflowJob,
    backoff,
)
from ishcd.client.pipeline_models import SETTLED

INTERVAL = 1.0  # seconds between polls while the server answers
GIVE_UP_AFTER = 12  # failed polls in a row (about a minute, backing off) before giving up
DEFAULT_LOG_LINES = 40
ICONS = {"complete": ("✓", "green"), "error": ("✗", "red"), "on_hold": ("‖", "yellow")}

LogLinesOption = typer.Option(
    "--log-lines",
    metavar="N",
    min=0,
    help="Lines of each failed job's log to print at the end (0: none)",
)


@dataclass(frozen=True)
class Board:
    """A pipeline as last read, with the latest workflow of each name and its jobs."""

    pipeline: Pipeline
    workflows: list[tuple[Workflow, list[WorkflowJob]]]


def read_board(client: Client, pipeline_id: str) -> Board:
    """The pipeline, then its workflows and their jobs (so they are never older than it)."""
    handle = client.pipelines(pipeline_id)
    pipeline = handle.get()
    workflows = latest(handle.workflows())
    return Board(pipeline, [(w, client.workflows(w.id).jobs()) for w in workflows])


def took(job: WorkflowJob, now: float) -> str:
    """How long the job ran (or has been running); empty before it starts."""
    if job.started is None:
        return ""
    end = job.finished if job.finished is not None else now
    return lists.duration_text(max(0, int(end - job.started)))


class View(Protocol):
    def update(self, board: Board) -> None: ...
    def close(self) -> None: ...


class Lines:
    """Piped: a line for each job whose status changes, ``12:00:05 build complete 2s``."""

    def __init__(self, echo: Callable[[str], None] = typer.echo):
        self.echo = echo
        self.seen: dict[tuple[str, str], tuple[str, str | None]] = {}

    def update(self, board: Board) -> None:
        several = len(board.workflows) > 1
        now = time.time()
        stamp = datetime.fromtimestamp(now).strftime("%H:%M:%S")
        for workflow, jobs in board.workflows:
            for job in jobs:
                key, state = (workflow.name, job.name), (job.status, job.error_reason)
                if self.seen.get(key) == state:
                    continue
                self.seen[key] = state
                name = f"{workflow.name}/{job.name}" if several else job.name
                line = f"{stamp} {name} {status_text(job.status, job.error_reason)}"
                if job.finished is not None and job.started is not None:
                    line += f" {took(job, now)}"
                self.echo(line)

    def close(self) -> None:
        pass


class Screen:
    """On a terminal: every workflow's jobs redrawn in place, a spinner on running ones."""

    def __init__(self, console: Console):
        # transient: the board gives way to the final report, which lists the jobs again
        self.live = Live(console=console, refresh_per_second=8, transient=True)
        self.started = False

    def update(self, board: Board) -> None:
        self.live.update(render(board), refresh=True)
        if not self.started:
            self.live.start()
            self.started = True

    def close(self) -> None:
        if self.started:
            self.live.stop()
            self.started = False


def _icon(status: str) -> RenderableType:
    if status == "running":
        return Spinner("dots", style="yellow")
    mark, style = ICONS.get(status, ("·", "dim"))
    return Text(mark, style=style)


def render(board: Board) -> RenderableType:
    """The board for a terminal: the pipeline, then each workflow with a row per job."""
    pipeline, now = board.pipeline, time.time()
    parts: list[RenderableType] = [
        Text(
            f"pipeline #{pipeline.number} {status_text(pipeline.status, pipeline.error_reason)}",
            style="bold",
        )
    ]
    for workflow, jobs in board.workflows:
        parts.append(
            Text(f"workflow {workflow.name} {status_text(workflow.status, workflow.error_reason)}")
        )
        table = Table.grid(padding=(0, 1))
        for _ in range(4):
            table.add_column()
        for job in jobs:
            style = lists.STATUS_STYLE.get(job.status, "")
            status = Text(status_text(job.status, job.error_reason), style=style)
            table.add_row(Text("  "), _icon(job.status), Text(job.name), status, took(job, now))
        parts.append(table)
    return Group(*parts)


def view_for(console: Console | None = None) -> View:
    """A live screen on a terminal, else lines."""
    console = console or Console()
    return Screen(console) if console.is_terminal else Lines()


def follow(
    client: Client, pipeline_id: str, view: View, *, sleep: Callable[[float], None] = time.sleep
) -> Pipeline:
    """Poll the pipeline until it is complete, error or on hold, showing each read."""
    retries: Iterator[float] | None = None
    failures = 0
    while True:
        try:
            board = read_board(client, pipeline_id)
        except (ConnectionFailed, ServerError) as exc:
            failures += 1
            if failures > GIVE_UP_AFTER:
                raise
            retries = retries or backoff.delays(start=INTERVAL)
            pause = next(retries)
            typer.echo(f"{exc.message}; trying again in {pause:g}s", err=True)
            sleep(pause)
            continue
        retries, failures = None, 0
        view.update(board)
        if board.pipeline.status in SETTLED:
            return board.pipeline
        sleep(INTERVAL)


def failed_jobs(client: Client, pipeline: Pipeline) -> list[tuple[Workflow, WorkflowJob]]:
    """The jobs of the latest workflows that ran and ended in error, in DAG order."""
    return [
        (workflow, job)
        for workflow in latest(client.pipelines(pipeline.id).workflows())
        for job in client.workflows(workflow.id).jobs()
        if job.status == "error" and job.run_id is not None
    ]


def log_header(workflow: Workflow, job: WorkflowJob, detail: str) -> str:
    """``==> build (workflow main): error, failed, exit code 3, run … <==``"""
    return f"==> {job.name} (workflow {workflow.name}): {job.status}, {detail} <=="


def print_failures(client: Client, pipeline: Pipeline, log_lines: int) -> None:
    """For each failed job: a header with its reason, then the last lines of its log."""
    if log_lines <= 0:
        return
    for workflow, job in failed_jobs(client, pipeline):
        assert job.run_id is not None
        run = client.runs(job.run_id)
        exit_code = run.get().exit_code if job.error_reason == "failed" else None
        typer.echo(log_header(workflow, job, job_detail(job, exit_code)))
        tail = runs.last_lines(run.stream_log(0), log_lines)
        runs.write_bytes([tail if not tail or tail.endswith(b"\n") else tail + b"\n"])


def print_promotions(client: Client, pipeline: Pipeline) -> None:
    """The pipelines that the complete pipeline's automatic promotions started."""
    if pipeline.status != "complete":
        return
    for promotion in client.pipelines(pipeline.id).promotions():
        if promotion.triggered_by != "auto":
            continue
        if promotion.scheduled_pipeline_id is None:
            typer.echo(f"promotion {promotion.name} {promotion.status}")
            continue
        started = client.pipelines(promotion.scheduled_pipeline_id).get()
        typer.echo(f"promotion {promotion.name} started {pipeline_line(started)}")
        for line in error_lines(started):
            typer.echo(line)


def report(client: Client, pipeline: Pipeline, log_lines: int) -> None:
    """How the pipeline ended: its status, jobs, approvals waited for, failures, promotions."""
    typer.echo(final_line(pipeline))
    for line in error_lines(pipeline):
        typer.echo(line)
    lines, held = workflow_report(client, pipeline, only_latest=True)
    for line in lines:
        typer.echo(line)
    if pipeline.on_hold:
        for workflow, job in held:
            typer.echo(
                f"waiting for approval of {job.name} in workflow {workflow.name} {workflow.id}: "
                f"ishcd pipeline approve {pipeline.id} {job.name}"
            )
    print_failures(client, pipeline, log_lines)
    print_promotions(client, pipeline)


def watch_and_report(
    client: Client, pipeline: Pipeline, *, log_lines: int = DEFAULT_LOG_LINES
) -> NoReturn:
    """Follow the pipeline until it settles, report it, and exit 1 if it ended in error.

    On hold is settled: the report says which approvals it waits for, and exits 0.
    """
    view = view_for()
    try:
        pipeline = follow(client, pipeline.id, view)
    except KeyboardInterrupt:
        view.close()
        typer.echo(f"\nstopped watching; pipeline {pipeline.id} goes on", err=True)
        raise typer.Exit(130) from None
    finally:
        view.close()
    report(client, pipeline, log_lines)
    raise typer.Exit(1 if pipeline.status == "error" else 0)
