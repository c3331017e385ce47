"""``ishcd run PROJECT/JOB``: start a run through the API, and wait for it or follow its log."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ishcd.cli import lists
from ishcd.cli.connect import DEFAULT_URL, TokenOption, UrlOption, client_from, reporting_errors
from ishcd.client import Run


def parse_target(target: str) -> tuple[str, str]:
    """``("my-corp", "backup-prod")`` from ``"my-corp/backup-prod"``; ValueError if malformed."""
    project, slash, job = target.partition("/")
    if not slash or not project or not job or "/" in job:
        raise ValueError(f"{target!r} is not PROJECT/JOB")
    return project, job


def parse_env(pairs: list[str]) -> dict[str, str]:
    """``{"KEY": "VALUE"}`` from ``["KEY=VALUE"]``; the value may hold ``=``; a later key wins.

    A pair without ``=`` or with an empty key is a ValueError naming it.
    """
    env: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise ValueError(f"{pair!r} is not KEY=VALUE")
        env[key] = value
    return env


def _check_target(target: str) -> str:
    try:
        parse_target(target)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return target


def _check_env(pairs: list[str] | None) -> list[str] | None:
    try:
        parse_env(pairs or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return pairs


def started_line(run: Run) -> str:
    """What ``ishcd run`` prints once the run is created."""
    where = f"{run.project.machine_name}/{run.job.machine_name}"
    again = ", started earlier with this idempotency key" if run.replayed else ""
    return f"run {run.id} {run.status} ({where}){again}"


def final_line(run: Run) -> str:
    """What ``ishcd run --wait`` prints once the run has finished."""
    line = f"run {run.id} {run.status}"
    if run.error_reason:
        line += f" ({run.error_reason})"
    line += f" after {lists.duration_text(run.duration)}"
    if run.exit_code is not None:
        line += f", exit code {run.exit_code}"
    return line


def _follow(run: Run) -> None:
    for chunk in run.follow():
        sys.stdout.write(chunk)
        sys.stdout.flush()


def run_job(
    target: Annotated[
        str,
        typer.Argument(
            metavar="PROJECT/JOB",
            help="The job to run: project and job, each an id or machine name",
            callback=_check_target,
            show_default=False,
        ),
    ],
    env: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            "-e",
            metavar="KEY=VALUE",
            help="A value for one of the job's variables (repeatable)",
            callback=_check_env,
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for the run to end; exit 0 if complete, else 1")
    ] = False,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            "-f",
            help="Print the log to stdout as it is written (status lines go to stderr), "
            "then wait as --wait does",
        ),
    ] = False,
    idempotency_key: Annotated[
        str | None,
        typer.Option(
            "--idempotency-key",
            help="Run at most once for this key: the same key returns the first run",
            show_default=False,
        ),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Start a run of a job: print its id and status, and optionally wait or follow its log."""
    project, job = parse_target(target)
    with client_from(url, token) as client, reporting_errors():
        runs = client.projects(project).jobs(job).runs()
        run = runs.create(env=parse_env(env or []), idempotency_key=idempotency_key)
        typer.echo(started_line(run), err=follow)
        if not (wait or follow):
            return
        try:
            if follow:
                _follow(run)
            run = run.wait()
        except KeyboardInterrupt:
            typer.echo(f"\nstopped waiting; run {run.id} goes on", err=True)
            raise typer.Exit(130) from None
        typer.echo(final_line(run), err=follow)
    raise typer.Exit(0 if run.ok else 1)


def register(app: typer.Typer) -> None:
    app.command("run")(run_job)
