"""``ishcd pipeline …``: trigger, show, list, stop, approve, promote and rerun, over the API."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Annotated, Literal

import typer

from ishcd.cli import lists, watch
from ishcd.cli.connect import (
    DEFAULT_URL,
    TokenOption,
    UrlOption,
    client_from,
    fail,
    reporting_errors,
)
from ishcd.cli.pipeline_report import (
    columns,
    describe,
    error_lines,
    final_line,
    held_approvals,
    pipeline_line,
    workflow_report,
)
from ishcd.cli.run import parse_env
from ishcd.client import Client, Pipeline

pipeline_app = typer.Typer(help="Pipelines of a project on an Ish CD server.", no_args_is_help=True)

Status = Literal["queued", "running", "on_hold", "complete", "error"]
ProjectArgument = Annotated[
    str, typer.Argument(help="The project: its id or machine name", show_default=False)
]
WaitOption = Annotated[
    bool,
    typer.Option(
        "--wait",
        help="Watch the jobs until the pipeline is complete, error or on hold, then print "
        "them and the failed jobs' last log lines; exit 1 if it ends in error",
    ),
]
LogLinesOption = Annotated[int, watch.LogLinesOption]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead")]


def _check_params(pairs: list[str] | None) -> list[str] | None:
    try:
        parse_env(pairs or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return pairs


def _read_config(file: Path) -> str:
    try:
        return file.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise fail(f"{file}: cannot read the file: {reason}", 2) from None


@pipeline_app.command("trigger")
def trigger(
    project: ProjectArgument,
    branch: Annotated[
        str | None,
        typer.Option("--branch", help="The branch (default: the project's)", show_default=False),
    ] = None,
    tag: Annotated[
        str | None, typer.Option("--tag", help="A tag instead of a branch", show_default=False)
    ] = None,
    revision: Annotated[
        str | None, typer.Option("--revision", help="A commit id", show_default=False)
    ] = None,
    params: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="KEY=VALUE",
            help="A value for one of the config's parameters (repeatable); the server reads "
            "integers and booleans from the text",
            callback=_check_params,
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="Use this config file instead of the repository's .ishcd.yml "
            "(required for a project without a repository)",
            show_default=False,
        ),
    ] = None,
    wait: WaitOption = False,
    log_lines: LogLinesOption = watch.DEFAULT_LOG_LINES,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Trigger a pipeline: print its id, number and status, and optionally wait for it.

    A config that does not compile prints its errors (FILE:LINE: PATH: MESSAGE) and
    exits 1. With --wait: exit 0 when it completes, 1 when it ends in error, and 0
    when it is on hold (printing the approval jobs it waits for, and how to approve them).
    """
    text = None if config is None else _read_config(config)
    with client_from(url, token) as client, reporting_errors():
        pipelines = client.projects(project).pipelines()
        pipeline = pipelines.trigger(
            branch, tag, revision, parameters=parse_env(params or []), config=text
        )
        typer.echo(pipeline_line(pipeline))
        if pipeline.error_reason == "config_error":
            for line in error_lines(pipeline):
                typer.echo(line)
            raise typer.Exit(1)
        if wait:
            watch.watch_and_report(client, pipeline, log_lines=log_lines)


def find_pipeline(client: Client, ref: str, project: str | None) -> Pipeline:
    """The pipeline ``ref`` names: with ``project`` its number, else its id."""
    if project is not None:
        if not ref.isdigit():
            raise typer.BadParameter(f"{ref!r} is not a pipeline number", param_hint="PIPELINE")
        return client.projects(project).pipelines().get(int(ref))
    if ref.isdigit():
        raise typer.BadParameter(f"pipeline number {ref} needs --project", param_hint="PIPELINE")
    return client.pipelines(ref).get()


PipelineArgument = Annotated[
    str,
    typer.Argument(
        metavar="PIPELINE",
        help="A pipeline id, or with --project a pipeline number",
        show_default=False,
    ),
]
ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project", help="The project whose pipeline number PIPELINE is", show_default=False
    ),
]


@pipeline_app.command("show")
def show(
    ref: PipelineArgument,
    project: ProjectOption = None,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="First wait until it is complete, error or on hold"),
    ] = False,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Show a pipeline: status, trigger, commit, parameters, errors, workflows and jobs."""
    with client_from(url, token) as client, reporting_errors():
        pipeline = find_pipeline(client, ref, project)
        if wait:
            pipeline = client.pipelines(pipeline.id).wait()
        if as_json:
            typer.echo(json.dumps(pipeline.raw, indent=2))
            return
        lines, _ = workflow_report(client, pipeline, only_latest=False)
    for line in [*describe(pipeline), *lines]:
        typer.echo(line)


@pipeline_app.command("list")
def list_pipelines(
    project: ProjectArgument,
    branch: Annotated[
        str | None, typer.Option("--branch", help="Only this branch's", show_default=False)
    ] = None,
    status: Annotated[
        Status | None,
        typer.Option("--status", help="Only pipelines in this status", show_default=False),
    ] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only the pipelines you triggered")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many pipelines")] = 30,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List a project's pipelines, newest first."""
    with client_from(url, token) as client, reporting_errors():
        found = (
            client.projects(project)
            .pipelines()
            .iter_all(branch=branch, status=status, mine=mine, per_page=min(limit, 100))
        )
        pipelines = list(itertools.islice(found, limit))
    if as_json:
        typer.echo(json.dumps([p.raw for p in pipelines], indent=2))
        return
    if not pipelines:
        typer.echo("no pipelines", err=True)
        return
    now = time.time()
    rows = [("NUMBER", "ID", "STATUS", "REASON", "REF", "TRIGGER", "CREATED")]
    for p in pipelines:
        ref = (
            p.vcs.branch or (f"tag {p.vcs.tag}" if p.vcs.tag else "") or (p.vcs.revision or "")[:12]
        )
        who = p.trigger.actor.username if p.trigger.actor else p.trigger.type
        rows.append(
            (
                str(p.number),
                p.id,
                p.status,
                p.error_reason or "",
                ref,
                who,
                lists.ago(p.created, now),
            )
        )
    for line in columns(rows):
        typer.echo(line)


@pipeline_app.command("stop")
def stop(
    ref: PipelineArgument,
    project: ProjectOption = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until its runs have stopped")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Stop a pipeline: every workflow is canceled and its runs' processes stopped."""
    with client_from(url, token) as client, reporting_errors():
        pipeline_id = find_pipeline(client, ref, project).id
        pipeline = client.pipelines(pipeline_id).stop()
        if wait:
            pipeline = client.pipelines(pipeline_id).wait(until={"complete", "error"})
    if pipeline.is_finished:
        typer.echo(final_line(pipeline))
    else:
        typer.echo(f"{pipeline_line(pipeline)}, stopping")


@pipeline_app.command("approve")
def approve(
    ref: PipelineArgument,
    job: Annotated[str, typer.Argument(help="The approval job on hold", show_default=False)],
    project: ProjectOption = None,
    wait: WaitOption = False,
    log_lines: LogLinesOption = watch.DEFAULT_LOG_LINES,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Approve a pipeline's approval job on hold: its workflow goes on (--wait: as trigger's)."""
    with client_from(url, token) as client, reporting_errors():
        pipeline = find_pipeline(client, ref, project)
        held = held_approvals(client, pipeline)
        workflow = next((w for w, j in held if j.name == job), None)
        if workflow is None:
            waiting = sorted({j.name for _, j in held})
            also = f" (on hold: {', '.join(waiting)})" if waiting else ""
            raise fail(f"pipeline #{pipeline.number} has no job {job!r} waiting for approval{also}")
        approved = client.workflows(workflow.id).approve(job)
        typer.echo(
            f"approved {job} in workflow {approved.name} {approved.id}: workflow {approved.status}"
        )
        if wait:
            watch.watch_and_report(client, pipeline, log_lines=log_lines)


@pipeline_app.command("promote")
def promote(
    ref: PipelineArgument,
    name: Annotated[
        str, typer.Argument(help="The promotion, as the config names it", show_default=False)
    ],
    project: ProjectOption = None,
    override: Annotated[
        bool, typer.Option("--override", help="Promote even if the pipeline has not completed")
    ] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Promote a pipeline: start the follow-on pipeline its config names; exit 1 if that fails."""
    with client_from(url, token) as client, reporting_errors():
        pipeline_id = find_pipeline(client, ref, project).id
        promotion = client.pipelines(pipeline_id).promote(name, override=override)
        scheduled = None
        if promotion.scheduled_pipeline_id is not None:
            scheduled = client.pipelines(promotion.scheduled_pipeline_id).get()
    started = f": {pipeline_line(scheduled)}" if scheduled else ""
    typer.echo(f"promotion {promotion.name} {promotion.status}{started}")
    if scheduled is not None:
        for line in error_lines(scheduled):
            typer.echo(line)
    if promotion.status != "promoted":
        raise typer.Exit(1)


@pipeline_app.command("rerun")
def rerun(
    workflow_id: Annotated[
        str, typer.Argument(help="The finished workflow to run again", show_default=False)
    ],
    from_failed: Annotated[
        bool,
        typer.Option(
            "--from-failed", help="Only the jobs that did not complete, and what requires them"
        ),
    ] = False,
    jobs: Annotated[
        list[str] | None,
        typer.Option(
            "--job",
            "-j",
            help="Only this job and what requires it (repeatable)",
            show_default=False,
        ),
    ] = None,
    request_token: Annotated[
        str | None,
        typer.Option(
            "--request-token",
            help="Rerun at most once for this token: the same token returns the first rerun",
            show_default=False,
        ),
    ] = None,
    wait: WaitOption = False,
    log_lines: LogLinesOption = watch.DEFAULT_LOG_LINES,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Rerun a workflow (all of it, from failed, or some jobs) as a new workflow: print it."""
    with client_from(url, token) as client, reporting_errors():
        workflow = client.workflows(workflow_id).rerun(
            from_failed=from_failed, jobs=jobs or None, request_token=request_token
        )
        again = ", started earlier with this request token" if workflow.replayed else ""
        typer.echo(
            f"workflow {workflow.id} {workflow.status} (rerun of {workflow.rerun_of} "
            f"in pipeline {workflow.pipeline.id} #{workflow.pipeline.number}){again}"
        )
        if wait:
            pipeline = client.pipelines(workflow.pipeline.id).get()
            watch.watch_and_report(client, pipeline, log_lines=log_lines)


def register(app: typer.Typer) -> None:
    app.add_typer(pipeline_app, name="pipeline")
