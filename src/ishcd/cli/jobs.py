"""``ishcd jobs list|show|create|delete``, through the API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ishcd.cli import tables
from ishcd.cli.access import date_text
from ishcd.cli.connect import (
    DEFAULT_URL,
    TokenOption,
    UrlOption,
    client_from,
    fail,
    reporting_errors,
)
from ishcd.cli.lists import JsonOption, ProjectArgument
from ishcd.cli.projects import ShowJsonOption, YesOption, confirm_delete
from ishcd.client import Job, Variable

jobs_app = typer.Typer(help="Jobs of a project on an Ish CD server.", no_args_is_help=True)

JobArgument = Annotated[
    str, typer.Argument(help="The job: its id or machine name", show_default=False)
]


def parse_variable(spec: str) -> Variable:
    """``NAME`` (no default) or ``NAME=DEFAULT`` (the default may be empty)."""
    name, has_default, default = spec.partition("=")
    if not name:
        raise fail(f"--variable {spec!r}: give NAME or NAME=DEFAULT", 2)
    return Variable(name=name, default=default if has_default else None)


def _read_script(script: str | None, script_file: Path | None) -> str:
    if (script is None) == (script_file is None):
        raise fail("give the script: --script-file FILE, or --script - to read stdin", 2)
    if script_file is not None:
        try:
            return script_file.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"cannot read {script_file}: {exc}", 2) from exc
    return sys.stdin.read() if script == "-" else str(script)


def _variable_text(variable: Variable) -> str:
    text = variable.name if variable.default is None else f"{variable.name}={variable.default}"
    flags = (("required", variable.required), ("secret", variable.secret))
    notes = [note for note, flag in flags if flag]
    return f"{text} ({', '.join(notes)})" if notes else text


def print_job(job: Job) -> None:
    """The job's fields, one per line, then its script indented."""
    tables.print_fields(
        (
            ("name", job.name),
            ("machine name", job.machine_name),
            ("id", job.id),
            ("project", job.project.machine_name),
            ("description", job.description or ""),
            ("timeout", "the server's" if job.timeout is None else f"{job.timeout}s"),
            ("variables", ", ".join(_variable_text(v) for v in job.variables)),
            ("created", date_text(job.created)),
        )
    )
    typer.echo("script:")
    for line in job.script.splitlines():
        typer.echo(f"  {line}".rstrip())


@jobs_app.command("list")
def list_jobs(
    project: ProjectArgument,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List a project's jobs."""
    with client_from(url, token) as client, reporting_errors():
        jobs = list(client.projects(project).jobs().iter_all())
    rows = [(j.machine_name, j.name, j.id) for j in jobs]
    tables.show(jobs, as_json, "jobs", tables.table(("MACHINE NAME", "NAME", "ID"), rows))


@jobs_app.command("show")
def show_job(
    project: ProjectArgument,
    job: JobArgument,
    as_json: ShowJsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Show a job with its script."""
    with client_from(url, token) as client, reporting_errors():
        found = client.projects(project).jobs(job).get()
    tables.show_one(found, as_json, print_job)


@jobs_app.command("create")
def create_job(
    project: ProjectArgument,
    name: Annotated[str, typer.Argument(help="The job's name", show_default=False)],
    script_file: Annotated[
        Path | None,
        typer.Option(
            "--script-file",
            metavar="FILE",
            help="The shell script, from this file",
            show_default=False,
        ),
    ] = None,
    script: Annotated[
        str | None,
        typer.Option(
            "--script",
            metavar="SCRIPT",
            help="The shell script itself; '-' reads it from stdin",
            show_default=False,
        ),
    ] = None,
    variables: Annotated[
        list[str] | None,
        typer.Option(
            "--variable",
            metavar="NAME[=DEFAULT]",
            help="A variable a run may set, with its default (repeatable)",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        int | None,
        typer.Option(
            "--timeout",
            min=1,
            metavar="SECONDS",
            help="Stop a run after this long (else the server's default)",
            show_default=False,
        ),
    ] = None,
    machine_name: Annotated[
        str | None,
        typer.Option(
            "--machine-name",
            help="Its name in URLs and commands; made from NAME if absent",
            show_default=False,
        ),
    ] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="A description", show_default=False)
    ] = None,
    as_json: ShowJsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Create a job: a shell script run with bash, and the variables a run may set."""
    declared = [parse_variable(spec) for spec in variables or []]
    text = _read_script(script, script_file)
    with client_from(url, token) as client, reporting_errors():
        created = (
            client.projects(project)
            .jobs()
            .create(
                name,
                text,
                machine_name=machine_name,
                description=description or None,
                variables=declared,
                timeout=timeout,
            )
        )
    tables.show_one(created, as_json, print_job)


@jobs_app.command("delete")
def delete_job(
    project: ProjectArgument,
    job: JobArgument,
    yes: YesOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Delete a job with its runs and logs (none may be queued or running)."""
    with client_from(url, token) as client:
        confirm_delete(f"job {job} of {project} with its runs and logs", yes)
        with reporting_errors():
            client.projects(project).jobs(job).delete()
    typer.echo(f"deleted job {job} of {project}")


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")
