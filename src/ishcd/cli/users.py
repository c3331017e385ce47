"""``ishcd users …`` (site admins) and ``ishcd audit list``, through the API.

The same on a server's data dir, with no server and no token: ``ishcd admin users create``.
"""

from __future__ import annotations

import sys
import time
from typing import Annotated

import typer

from ishcd.cli import lists, tables
from ishcd.cli.access import date_text
from ishcd.cli.connect import (
    DEFAULT_URL,
    TokenOption,
    UrlOption,
    client_from,
    fail,
    reporting_errors,
)
from ishcd.client import AuditEvent, User

users_app = typer.Typer(help="Users of the server (site admins).", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log: who changed what, when.", no_args_is_help=True)

UserArgument = Annotated[str, typer.Argument(help="A user name or id", show_default=False)]
PasswordStdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from stdin")
]


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _read_password() -> str:
    password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    if not password:
        raise fail("no password on stdin", 2)
    return password


@users_app.command("list")
def list_users(
    as_json: lists.JsonOption = False, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """List the server's users."""
    with client_from(url, token) as client, reporting_errors():
        users = list(client.users().iter_all())
    rows = [
        (u.username, u.name or "", u.email or "", _yes(u.is_admin), _yes(u.disabled), u.id)
        for u in users
    ]
    headers = ("USERNAME", "NAME", "EMAIL", "ADMIN", "DISABLED", "ID")
    tables.show(users, as_json, "users", tables.table(headers, rows))


def _print_user(user: User) -> None:
    tables.print_fields(
        (
            ("username", user.username),
            ("name", user.name or ""),
            ("email", user.email or ""),
            ("admin", _yes(user.is_admin)),
            ("disabled", _yes(user.disabled)),
            ("created", date_text(user.created)),
            ("id", user.id),
        )
    )


@users_app.command("show")
def show_user(
    user: UserArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Show a user."""
    with client_from(url, token) as client, reporting_errors():
        found = client.users(user).get()
    tables.show_one(found, as_json, _print_user)


@users_app.command("create")
def create_user(
    username: Annotated[str, typer.Argument(help="The new user's name", show_default=False)],
    admin: Annotated[bool, typer.Option("--admin", help="Make a site admin")] = False,
    email: Annotated[str | None, typer.Option("--email", show_default=False)] = None,
    name: Annotated[str | None, typer.Option("--name", show_default=False)] = None,
    password_stdin: PasswordStdinOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Create a user; without --password-stdin a random password is made and printed once."""
    password = _read_password() if password_stdin else None
    with client_from(url, token) as client, reporting_errors():
        created = client.users().create(
            username, password=password, is_admin=admin, name=name, email=email
        )
    typer.echo(f"created user {created.username}{' (site admin)' if created.is_admin else ''}")
    if created.password is not None:
        typer.echo(f"password: {created.password}")


@users_app.command("update")
def update_user(
    user: UserArgument,
    admin: Annotated[
        bool | None,
        typer.Option("--admin/--no-admin", help="Make or unmake a site admin", show_default=False),
    ] = None,
    disable: Annotated[
        bool | None,
        typer.Option(
            "--disable/--enable", help="Stop or allow its logins and tokens", show_default=False
        ),
    ] = None,
    email: Annotated[str | None, typer.Option("--email", show_default=False)] = None,
    name: Annotated[str | None, typer.Option("--name", show_default=False)] = None,
    new_username: Annotated[
        str | None, typer.Option("--username", help="Rename the user", show_default=False)
    ] = None,
    password_stdin: PasswordStdinOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Change a user: only what is given."""
    fields: dict[str, object] = {
        key: value
        for key, value in (
            ("is_admin", admin),
            ("disabled", disable),
            ("email", email),
            ("name", name),
            ("username", new_username),
        )
        if value is not None
    }
    if password_stdin:
        fields["password"] = _read_password()
    if not fields:
        raise fail("nothing to change: give --admin, --disable, --email, … (see --help)", 2)
    with client_from(url, token) as client, reporting_errors():
        updated = client.users(user).update(**fields)
    typer.echo(f"updated user {updated.username}")
    _print_user(updated)


@users_app.command("delete")
def delete_user(
    user: UserArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """Delete a user with their tokens, credentials and memberships (runs and audit stay)."""
    with client_from(url, token) as client, reporting_errors():
        client.users(user).delete()
    typer.echo(f"deleted user {user}")


def _event_row(event: AuditEvent, now: float) -> tuple[str, ...]:
    target = event.target
    what = "" if target is None else f"{target.type} {target.name or target.id or ''}".rstrip()
    project = "" if event.project is None else event.project.machine_name
    return (lists.ago(event.created, now), event.action, str(event.actor), project, what)


@audit_app.command("list")
def list_audit(
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            "-p",
            help="A project's events (its admins); else the whole site's (site admins)",
            show_default=False,
        ),
    ] = None,
    action: Annotated[
        str | None,
        typer.Option("--action", help="Only this action, e.g. run.create", show_default=False),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many events")] = 30,
    as_json: lists.JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List audit events, newest first."""
    with client_from(url, token) as client, reporting_errors():
        log = client.audit() if project is None else client.projects(project).audit()
        found = log.iter_all(action=action, per_page=min(limit, 100))
        events = [event for event, _ in zip(found, range(limit), strict=False)]
    now = time.time()
    rows = [_event_row(event, now) for event in events]
    headers = ("WHEN", "ACTION", "ACTOR", "PROJECT", "TARGET")
    tables.show(events, as_json, "events", tables.table(headers, rows))


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
