"""``ishcd envvars …`` (a project's env vars) and ``ishcd credentials …`` (your own).

A secret's value is read from stdin (asked for, hidden, on a terminal) or from
``--from-file``, never taken as an argument: it stays out of shell history and
out of other users' ``ps``. The API shows values masked, and so do the lists.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from ishcd.cli import lists, tables
from ishcd.cli.connect import (
    DEFAULT_URL,
    TokenOption,
    UrlOption,
    client_from,
    fail,
    reporting_errors,
)

envvars_app = typer.Typer(
    help="A project's env vars: secrets every run gets.", no_args_is_help=True
)
credentials_app = typer.Typer(
    help="Your credentials: secrets the runs you start get.", no_args_is_help=True
)

FromFileOption = Annotated[
    Path | None,
    typer.Option(
        "--from-file",
        help="Read the value from this file (default: stdin)",
        show_default=False,
        dir_okay=False,
    ),
]


def read_secret(what: str, from_file: Path | None) -> str:
    """The value from ``from_file``, else typed (hidden) at a terminal, else all of stdin.

    One trailing newline is dropped (``echo`` adds one); an empty value is a usage error.
    """
    if from_file is not None:
        try:
            value = from_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise fail(f"cannot read {from_file}: {reason}", 2) from exc
    elif sys.stdin.isatty():
        value = str(typer.prompt(f"Value of {what}", hide_input=True))
    else:
        value = sys.stdin.read()
    value = value.removesuffix("\n").removesuffix("\r")
    if not value:
        raise fail(f"the value of {what} is empty", 2)
    return value


@envvars_app.command("list")
def list_envvars(
    project: lists.ProjectArgument,
    as_json: lists.JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List a project's env vars, values masked."""
    with client_from(url, token) as client, reporting_errors():
        envvars = list(client.projects(project).envvars().iter_all())
    now = time.time()
    rows = [(e.name, e.value, lists.ago(e.changed, now)) for e in envvars]
    tables.show(envvars, as_json, "env vars", tables.table(("NAME", "VALUE", "CHANGED"), rows))


@envvars_app.command("set")
def set_envvar(
    project: lists.ProjectArgument,
    name: Annotated[str, typer.Argument(help="The variable's name", show_default=False)],
    from_file: FromFileOption = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Set an env var, its value from stdin or --from-file (replacing any it had).

    printf %s "$VALUE" | ishcd envvars set my-corp DEPLOY_KEY
    """
    with client_from(url, token) as client:
        value = read_secret(name, from_file)
        with reporting_errors():
            envvar = client.projects(project).envvars().set(name, value)
    typer.echo(f"set {envvar.name} in {project} ({envvar.value})")


@envvars_app.command("delete")
def delete_envvar(
    project: lists.ProjectArgument,
    name: Annotated[str, typer.Argument(help="The variable's name", show_default=False)],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Delete an env var: runs created from now on no longer get it."""
    with client_from(url, token) as client, reporting_errors():
        client.projects(project).envvars(name).delete()
    typer.echo(f"deleted {name} from {project}")


@credentials_app.command("list")
def list_credentials(
    as_json: lists.JsonOption = False, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """List your credentials, values masked."""
    with client_from(url, token) as client, reporting_errors():
        credentials = list(client.credentials().iter_all())
    now = time.time()
    rows = [(c.name, c.env, c.value, lists.ago(c.created, now), c.id) for c in credentials]
    headers = ("NAME", "ENV", "VALUE", "CREATED", "ID")
    tables.show(credentials, as_json, "credentials", tables.table(headers, rows))


@credentials_app.command("create")
def create_credential(
    name: Annotated[str, typer.Argument(help="What it is, for you", show_default=False)],
    env: Annotated[
        str, typer.Option("--env", help="The variable runs get it as", show_default=False)
    ],
    from_file: FromFileOption = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Store a credential, its value from stdin or --from-file."""
    with client_from(url, token) as client:
        value = read_secret(env, from_file)
        with reporting_errors():
            credential = client.credentials().create(name, env, value)
    typer.echo(
        f"created credential {credential.name!r} ({credential.env}={credential.value}), "
        f"id {credential.id}"
    )


@credentials_app.command("delete")
def delete_credential(
    credential_id: Annotated[str, typer.Argument(help="The credential's id", show_default=False)],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Delete one of your credentials."""
    with client_from(url, token) as client, reporting_errors():
        client.credentials(credential_id).delete()
    typer.echo(f"deleted credential {credential_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(envvars_app, name="envvars")
    app.add_typer(credentials_app, name="credentials")
