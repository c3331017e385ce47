"""``ishcd pipeline watch`` and ``ishcd pipeline logs``: a pipeline's jobs as they go, and logs."""

from __future__ import annotations

from typing import Annotated

import typer

from ishcd.cli import runs, watch
from ishcd.cli.connect import (
    DEFAULT_URL,
    TokenOption,
    UrlOption,
    client_from,
    fail,
    reporting_errors,
)
from ishcd.cli.pipeline import (
    LogLinesOption,
    PipelineArgument,
    ProjectOption,
    find_pipeline,
    pipeline_app,
)
from ishcd.cli.pipeline_report import job_detail, latest
from ishcd.client import WorkflowJob


@pipeline_app.command("watch")
def watch_pipeline(
    ref: PipelineArgument,
    project: ProjectOption = None,
    log_lines: LogLinesOption = watch.DEFAULT_LOG_LINES,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Watch a pipeline's jobs until it is complete, error or on hold, then report it.

    On a terminal the jobs are redrawn in place; piped, each change is a line
    (``12:00:05 build complete 2s``). Then: the jobs, the approvals it waits for
    (and how to approve them), each failed job's last log lines, and the pipelines
    automatic promotions started. Exit 0 when it completes or is on hold, 1 on error.
    """
    with client_from(url, token) as client, reporting_errors():
        pipeline = find_pipeline(client, ref, project)
        watch.watch_and_report(client, pipeline, log_lines=log_lines)


@pipeline_app.command("logs")
def logs(
    ref: PipelineArgument,
    project: ProjectOption = None,
    job: Annotated[
        list[str] | None,
        typer.Option(
            "--job",
            "-j",
            metavar="NAME",
            help="Only this job's log (repeatable); a matrix job's name means all of its jobs",
            show_default=False,
        ),
    ] = None,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only the logs of the jobs that ended in error")
    ] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Print the logs of a pipeline's jobs one after another, each under a header.

    The header names the job, its workflow and status (``==> build (workflow main):
    complete, run … <==``); the log follows as it was written. The latest run of each
    workflow is shown; jobs that did not run have no log.
    """
    wanted = set(job or ())
    with client_from(url, token) as client, reporting_errors():
        pipeline = find_pipeline(client, ref, project)
        shown: set[str] = set()
        for workflow in latest(client.pipelines(pipeline.id).workflows()):
            for item in client.workflows(workflow.id).jobs():
                asked = _asked_for(item, wanted)
                if wanted and asked is None:
                    continue
                if item.run_id is None or (failed and item.status != "error"):
                    continue
                shown.add(asked or item.name)
                run = client.runs(item.run_id)
                exit_code = run.get().exit_code if item.error_reason == "failed" else None
                typer.echo(watch.log_header(workflow, item, job_detail(item, exit_code)))
                tail = b""
                for chunk in run.stream_log(0):
                    runs.write_bytes([chunk])
                    tail = chunk[-1:] or tail
                if tail and tail != b"\n":
                    typer.echo("")
    missing = sorted(wanted - shown)
    if missing:
        raise fail(f"pipeline #{pipeline.number} has no log of {', '.join(missing)}")
    if not shown:
        typer.echo(
            f"no {'failed ' if failed else ''}job logs in pipeline #{pipeline.number}", err=True
        )


def _asked_for(item: WorkflowJob, wanted: set[str]) -> str | None:
    """Which of the names asked for is this job: its own, or for a job of a matrix
    (``test-shbash``) the name of the job it was made from (``test``)."""
    if item.name in wanted:
        return item.name
    if item.matrix:
        for name in wanted:
            if item.name.startswith(f"{name}-"):
                return name
    return None


def register(app: typer.Typer) -> None:
    """The commands are on ``ishcd pipeline`` (made in :mod:`ishcd.cli.pipeline`), already added."""
