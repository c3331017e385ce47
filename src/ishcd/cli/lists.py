"""``ishcd runs list`` (a table, or ``--json``), and the options and times lists share."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Literal

import typer
from rich.text import Text

from ishcd.cli import tables
from ishcd.cli.connect import DEFAULT_URL, TokenOption, UrlOption, client_from, reporting_errors
from ishcd.client import Client, Run

runs_app = typer.Typer(help="Runs on an Ish CD server.", no_args_is_help=True)

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the API's JSON array instead of a table")
]
ProjectArgument = Annotated[
    str, typer.Argument(help="The project: its id or machine name", show_default=False)
]
STATUS_STYLE = {"queued": "dim", "running": "yellow", "complete": "green", "error": "red"}
UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def duration_text(seconds: int) -> str:
    """A duration for people: ``42s``, ``3m 05s``, ``2h 03m``."""
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def ago(then: int, now: float) -> str:
    """A past Unix time for people: ``just now``, ``3 minutes ago``, or a date past 30 days."""
    seconds = max(0, int(now - then))
    if seconds < 5:
        return "just now"
    if seconds >= 30 * 86400:
        return datetime.fromtimestamp(then).strftime("%Y-%m-%d")
    for unit, size in UNITS:
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"  # pragma: no cover - the loop always returns


@runs_app.command("list")
def list_runs(
    project: ProjectArgument,
    job: Annotated[
        str | None, typer.Option("--job", help="Only this job's runs", show_default=False)
    ] = None,
    status: Annotated[
        Literal["queued", "running", "complete", "error"] | None,
        typer.Option("--status", help="Only runs in this status", show_default=False),
    ] = None,
    pipeline: Annotated[
        int | None,
        typer.Option(
            "--pipeline",
            metavar="N",
            min=1,
            help="Only the runs of pipeline number N's jobs",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many runs")] = 30,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List a project's runs, newest first; a pipeline job's run shows its pipeline."""
    with client_from(url, token) as client, reporting_errors():
        listing = client.projects(project).runs()
        found = listing.iter_all(
            status=status, job=job, pipeline=pipeline, per_page=min(limit, 100)
        )
        runs = list(itertools.islice(found, limit))
        pipelines = {} if as_json else _pipeline_names(client, runs)
    now = time.time()
    rows = [
        (
            r.id,
            r.job.machine_name,
            pipelines.get(r.pipeline.id, "") if r.pipeline else "",
            Text(r.status, style=STATUS_STYLE.get(r.status, "")),
            r.error_reason or "",
            ago(r.created, now),
            "" if r.started is None else duration_text(r.duration),
        )
        for r in runs
    ]
    headers = ("ID", "JOB", "PIPELINE", "STATUS", "REASON", "CREATED", "DURATION")
    tables.show(runs, as_json, "runs", tables.table(headers, rows))


def _pipeline_names(client: Client, runs: Iterable[Run]) -> dict[str, str]:
    """``#12 main`` for each pipeline of the runs (read once each), by pipeline id."""
    names: dict[str, str] = {}
    for run in runs:
        if run.pipeline is not None and run.pipeline.id not in names:
            vcs = client.pipelines(run.pipeline.id).get().vcs
            ref = vcs.branch or (f"tag {vcs.tag}" if vcs.tag else "") or (vcs.revision or "")[:12]
            names[run.pipeline.id] = f"#{run.pipeline.number} {ref}".rstrip()
    return names


def register(app: typer.Typer) -> None:
    app.add_typer(runs_app, name="runs")
