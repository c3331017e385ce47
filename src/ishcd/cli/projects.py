"""``ishcd projects list|show|create|update|delete``, through the API."""

from __future__ import annotations

import re
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
from ishcd.client import Project

projects_app = typer.Typer(help="Projects on an Ish CD server.", no_args_is_help=True)

ShowJsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON")]
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Delete without asking (needed when not on a terminal)")
]
MachineNameOption = Annotated[
    str | None,
    typer.Option(
        "--machine-name",
        help="Its name in URLs and commands (lowercase, digits, - and _); made from NAME if absent",
        show_default=False,
    ),
]
DescriptionOption = Annotated[
    str | None, typer.Option("--description", help="A description", show_default=False)
]
RepositoryOption = Annotated[
    str | None,
    typer.Option(
        "--repository",
        help="Where its pipelines' code and .ishcd.yml come from: a git URL, or a directory "
        "(a local one, e.g. '.', is sent as an absolute path)",
        show_default=False,
    ),
]
BranchOption = Annotated[
    str | None,
    typer.Option(
        "--default-branch", help="The branch pipelines run by default (main)", show_default=False
    ),
]
# git's scp-like syntax, user@host:path or host:path (not a Windows drive, C:\…).
_SCP_LIKE = re.compile(r"^[^/\\:]{2,}:")


def local_repository(repository: str) -> str:
    """``repository`` as the server should get it: an existing local directory (``.``,
    ``../shop``, ``~/src/shop``) as its absolute path, anything else (a URL, ``git@host:path``,
    ``file://…``) as given."""
    if not repository or "://" in repository or _SCP_LIKE.match(repository):
        return repository
    path = Path(repository).expanduser()
    return str(path.resolve()) if path.is_dir() else repository


def confirm_delete(what: str, yes: bool) -> None:
    """Go on when ``yes``; else ask on a terminal, and refuse (exit 2) when not on one."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise fail(f"not deleting {what} without confirmation: pass --yes", 2)
    if not typer.confirm(f"Delete {what}?", default=False):
        raise fail("not deleted")


def print_project(project: Project) -> None:
    """The project's fields, one per line."""
    retention = project.log_retention_days
    tables.print_fields(
        (
            ("name", project.name),
            ("machine name", project.machine_name),
            ("id", project.id),
            ("description", project.description or ""),
            ("repository", project.repository or ""),
            ("default branch", project.default_branch),
            ("log retention", "the server's" if retention is None else f"{retention} days"),
            ("created", date_text(project.created)),
        )
    )


@projects_app.command("list")
def list_projects(
    as_json: JsonOption = False, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """List the projects you can see."""
    with client_from(url, token) as client, reporting_errors():
        projects = list(client.projects().iter_all())
    rows = [(p.machine_name, p.name, p.id) for p in projects]
    tables.show(projects, as_json, "projects", tables.table(("MACHINE NAME", "NAME", "ID"), rows))


@projects_app.command("show")
def show_project(
    project: ProjectArgument,
    as_json: ShowJsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Show a project."""
    with client_from(url, token) as client, reporting_errors():
        found = client.projects(project).get()
    tables.show_one(found, as_json, print_project)


@projects_app.command("create")
def create_project(
    name: Annotated[str, typer.Argument(help="The project's name", show_default=False)],
    machine_name: MachineNameOption = None,
    description: DescriptionOption = None,
    repository: RepositoryOption = None,
    default_branch: BranchOption = None,
    log_retention_days: Annotated[
        int | None,
        typer.Option(
            "--log-retention-days",
            min=1,
            metavar="N",
            help="Keep finished runs' logs N days (at most the server's setting, its default)",
            show_default=False,
        ),
    ] = None,
    as_json: ShowJsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Create a project; you become its admin."""
    with client_from(url, token) as client, reporting_errors():
        created = client.projects().create(
            name,
            machine_name=machine_name,
            description=description or None,
            repository=local_repository(repository) if repository else None,
            default_branch=default_branch,
            log_retention_days=log_retention_days,
        )
    tables.show_one(created, as_json, print_project)


@projects_app.command("update")
def update_project(
    project: ProjectArgument,
    name: Annotated[
        str | None, typer.Option("--name", help="A new name", show_default=False)
    ] = None,
    machine_name: MachineNameOption = None,
    description: DescriptionOption = None,
    repository: RepositoryOption = None,
    default_branch: BranchOption = None,
    log_retention_days: Annotated[
        int | None,
        typer.Option(
            "--log-retention-days",
            min=0,
            metavar="N",
            help="Keep finished runs' logs N days; 0: the server's setting",
            show_default=False,
        ),
    ] = None,
    as_json: ShowJsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Change a project: only what is given; --description "" or --repository "" clears it."""
    fields: dict[str, object] = {
        key: value
        for key, value in (
            ("name", name),
            ("machine_name", machine_name),
            ("description", description),
            ("repository", repository),
            ("default_branch", default_branch),
            ("log_retention_days", log_retention_days),
        )
        if value is not None
    }
    if not fields:
        raise fail("nothing to change: give --name, --description, --repository, … (see --help)", 2)
    for key in ("description", "repository", "log_retention_days"):
        if fields.get(key) in ("", 0):
            fields[key] = None  # null clears it
    if isinstance(fields.get("repository"), str):
        fields["repository"] = local_repository(str(fields["repository"]))
    with client_from(url, token) as client, reporting_errors():
        updated = client.projects(project).update(**fields)
    tables.show_one(updated, as_json, print_project)


@projects_app.command("delete")
def delete_project(
    project: ProjectArgument,
    yes: YesOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Delete a project with its jobs, pipelines, runs and logs (none may be queued or running)."""
    with client_from(url, token) as client:
        confirm_delete(f"project {project} with its jobs, pipelines, runs and logs", yes)
        with reporting_errors():
            client.projects(project).delete()
    typer.echo(f"deleted project {project}")


def register(app: typer.Typer) -> None:
    app.add_typer(projects_app, name="projects")
