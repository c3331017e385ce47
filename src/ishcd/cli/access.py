"""``ishcd members …`` and ``ishcd tokens …``: who may use a project, and API tokens.

Tokens are your account's (``/v1/tokens``), or with ``--project`` a project's
(``/v1/projects/{p}/tokens``). A new token is printed alone on the last line
of stdout, so ``TOKEN=$(ishcd tokens create ci | tail -1)`` works.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Literal

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
from ishcd.client import Member, NotFound, ProjectToken, Token

members_app = typer.Typer(help="Members of a project, and invitations.", no_args_is_help=True)
tokens_app = typer.Typer(help="Your API tokens, or a project's.", no_args_is_help=True)

Role = Literal["read", "write", "admin"]
RoleArgument = Annotated[Role, typer.Argument(help="read, write or admin", show_default=False)]
WhoArgument = Annotated[
    str,
    typer.Argument(help="The member: user name, invited e-mail or member id", show_default=False),
]
ProjectTokensOption = Annotated[
    str | None,
    typer.Option("--project", "-p", help="A project's tokens, not yours", show_default=False),
]


def date_text(when: int | None, never: str = "never") -> str:
    """A Unix time as ``2026-12-03 07:15`` (local time), or ``never``."""
    return never if when is None else datetime.fromtimestamp(when).strftime("%Y-%m-%d %H:%M")


def _member_row(member: Member) -> tuple[str, str, str, str]:
    return (member.who, member.role, member.status, member.id)


@members_app.command("list")
def list_members(
    project: lists.ProjectArgument,
    as_json: lists.JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List a project's members and pending invitations."""
    with client_from(url, token) as client, reporting_errors():
        members = list(client.projects(project).members().iter_all())
    table = tables.table(("MEMBER", "ROLE", "STATUS", "ID"), map(_member_row, members))
    tables.show(members, as_json, "members", table)


@members_app.command("add")
def add_member(
    project: lists.ProjectArgument,
    who: Annotated[
        str,
        typer.Argument(help="A user name, or an e-mail address to invite", show_default=False),
    ],
    role: Annotated[Role, typer.Option("--role", "-r", help="read, write or admin")] = "read",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Add an account to a project by user name or e-mail address; an e-mail address
    no account has adds an invitation."""
    by_email = "@" in who
    with client_from(url, token) as client, reporting_errors():
        members = client.projects(project).members()
        member = members.add(role, **({"email": who} if by_email else {"username": who}))
    if member.status == "invited":
        typer.echo(f"invited {who} to {project} as {member.role} (member {member.id})")
        typer.echo(f"make the link to send them with: ishcd members invite {project} {who}")
    else:
        typer.echo(f"added {member.who} to {project} as {member.role} (member {member.id})")


@members_app.command("role")
def change_role(
    project: lists.ProjectArgument,
    who: WhoArgument,
    role: RoleArgument,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Give a member another role."""
    with client_from(url, token) as client, reporting_errors():
        handle = client.projects(project)
        member = handle.members(handle.members().find(who).id).update(role)
    typer.echo(f"{member.who} now has the {member.role} role in {project}")


@members_app.command("remove")
def remove_member(
    project: lists.ProjectArgument,
    who: WhoArgument,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Remove a member (the project tokens they made are revoked with it)."""
    with client_from(url, token) as client, reporting_errors():
        handle = client.projects(project)
        member = handle.members().find(who)
        handle.members(member.id).remove()
    typer.echo(f"removed {member.who} from {project}")


@members_app.command("invite")
def invite_member(
    project: lists.ProjectArgument,
    who: Annotated[
        str,
        typer.Argument(help="An e-mail address, or an invited member's id", show_default=False),
    ],
    role: Annotated[
        Role | None,
        typer.Option("--role", "-r", help="The role, to invite someone new", show_default=False),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Make a one-time link (valid 7 days) for someone without an account to join.

    Someone new is added as an invited member with --role first. Ish CD sends no
    mail: the link, alone on the last line, is for you to pass on.
    """
    with client_from(url, token) as client, reporting_errors():
        members = client.projects(project).members()
        try:
            member = members.find(who)
        except NotFound:
            if role is None or "@" not in who:
                raise
            member = members.add(role, email=who)
            if member.status == "active":
                # The address is an account's: it is a member now, with no link to send.
                typer.echo(f"added {member.who} ({who}) to {project} as {member.role}")
                return
        invitation = client.projects(project).members(member.id).invite()
    typer.echo(
        f"invitation for {member.who} to join {project} as {member.role}, "
        f"valid until {date_text(invitation.expires)}:"
    )
    typer.echo(invitation.url)


@tokens_app.command("list")
def list_tokens(
    project: ProjectTokensOption = None,
    as_json: lists.JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List your API tokens, or with --project a project's (never the tokens themselves)."""
    now = time.time()

    def used(when: int | None) -> str:
        return "never" if when is None else lists.ago(when, now)

    with client_from(url, token) as client, reporting_errors():
        if project is None:
            tokens: list[Token] | list[ProjectToken] = list(client.tokens().iter_all())
        else:
            tokens = list(client.projects(project).tokens().iter_all())
    rows = [
        (
            t.name,
            *([t.role] if isinstance(t, ProjectToken) else []),
            lists.ago(t.created, now),
            used(t.last_used),
            date_text(t.expires),
            t.id,
        )
        for t in tokens
    ]
    headers = ("NAME", *(["ROLE"] if project else []), "CREATED", "LAST USED", "EXPIRES", "ID")
    tables.show(list(tokens), as_json, "tokens", tables.table(headers, rows))


@tokens_app.command("create")
def create_token(
    name: Annotated[str, typer.Argument(help="What the token is for", show_default=False)],
    project: ProjectTokensOption = None,
    role: Annotated[
        Role | None,
        typer.Option("--role", "-r", help="A project token's role (needed with --project)"),
    ] = None,
    expires: Annotated[
        int | None,
        typer.Option("--expires", min=1, help="Days until it stops working (default: never)"),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Create an API token: the token is printed once, alone on the last line."""
    if project is None and role is not None:
        raise fail("only a project token (--project) has a role", 2)
    if project is not None and role is None:
        raise fail("a project token (--project) needs a --role", 2)
    with client_from(url, token) as client, reporting_errors():
        if project is None:
            mine = client.tokens().create(name, expires=expires)
            what, ident, secret = f"API token {mine.name!r}", mine.id, mine.token
        else:
            assert role is not None
            made = client.projects(project).tokens().create(name, role, expires=expires)
            what = f"project token {made.name!r} for {project} ({made.role})"
            ident, secret = made.id, made.token
    typer.echo(f"created {what}, id {ident}; the token is shown this once:")
    typer.echo(secret)


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="The token's id", show_default=False)],
    project: ProjectTokensOption = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Revoke an API token (with --project, a project's): it stops working at once."""
    with client_from(url, token) as client, reporting_errors():
        if project is None:
            client.tokens(token_id).revoke()
        else:
            client.projects(project).tokens(token_id).revoke()
    typer.echo(f"revoked token {token_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(members_app, name="members")
    app.add_typer(tokens_app, name="tokens")
