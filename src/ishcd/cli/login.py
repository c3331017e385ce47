"""``ishcd login``, ``ishcd logout``, ``ishcd whoami``: log in once, per user and machine.

``login`` stores the server and an API token in the config file
(:mod:`ishcd.cli.userconfig`); every client command then uses them when no
``--url``/``--token`` option nor ``ISHCD_URL``/``ISHCD_TOKEN`` says otherwise.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Annotated

import typer

from ishcd.cli import userconfig
from ishcd.cli.connect import (
    DEFAULT_URL,
    URL_ENV,
    TokenOption,
    UrlOption,
    client_from,
    fail,
    report,
    reporting_errors,
    resolve,
)
from ishcd.client import DEFAULT_HOST, Client, ClientError, NotFound, Unauthorized
from ishcd.client.transport import base_url

LOGOUT_TIMEOUT = 10.0


def token_name() -> str:
    """What the token ``ishcd login`` makes is called: ``ishcd CLI on HOSTNAME``."""
    return f"ishcd CLI on {socket.gethostname() or 'an unnamed machine'}"


def read_line(prompt: str, *, hidden: bool = False) -> str:
    """A line typed at a terminal (hidden for a password), or read from piped stdin."""
    if sys.stdin.isatty():
        return str(typer.prompt(prompt, hide_input=hidden))
    typer.echo(f"{prompt}: ", err=True, nl=False)
    line = sys.stdin.readline()
    typer.echo(err=True)  # what was typed is not echoed: end the prompt's line
    if not line:
        raise fail(f"no {prompt.lower()} given (stdin ended)", 2)
    return line.removesuffix("\n").removesuffix("\r")


def _server(url: str | None) -> str:
    """The server to log in to: the argument, else $ISHCD_URL, the saved one, the default."""
    url = url or os.environ.get(URL_ENV)
    if url:
        return base_url(url)
    try:
        saved = userconfig.load()
    except userconfig.ConfigFileError:
        saved = None  # login replaces it
    return base_url(saved.url if saved else DEFAULT_HOST)


def login(
    url: Annotated[
        str | None,
        typer.Argument(
            help=f"The server (else ${URL_ENV}, else the saved one, else {DEFAULT_HOST})",
            show_default=False,
        ),
    ] = None,
    username: Annotated[
        str | None,
        typer.Option("--username", "-u", help="Your user name (asked for if absent)"),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (scripts)")
    ] = False,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="Save this API token (checked first) instead of logging in with a password; "
            "'-' reads it from stdin",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Log in to a server and save it with an API token in your config file (mode 0600).

    With a password, an API token named after this machine is created, which
    `ishcd logout` revokes. With --token, that token is checked and saved.
    """
    server = _server(url)
    if token is not None and (username is not None or password_stdin):
        raise fail("--token logs in without a user name and password: give one or the other", 2)
    try:
        previous = userconfig.load()
    except userconfig.ConfigFileError:
        previous = None  # replaced below
    saved = (
        _with_token(server, token)
        if token is not None
        else _with_password(server, username, password_stdin)
    )
    where = userconfig.save(saved)
    made = "" if saved.token_id is None else f" {token_name()!r}"
    typer.echo(f"Logged in to {server} as {saved.username}; token{made} saved in {where}")
    if previous and previous.token_id and previous.token != saved.token:
        _revoke_quietly(previous)  # the login this one replaces


def _with_token(server: str, token: str) -> userconfig.Saved:
    """``token`` (``-``: read from stdin), once the server says whose it is."""
    if token == "-":
        token = sys.stdin.readline().strip()
        if not token:
            raise fail("no token on stdin", 2)
    with Client(token, host=server) as client, reporting_errors():
        account = client.account().get()
    return userconfig.Saved(url=server, token=token, username=account.username)


def _with_password(server: str, username: str | None, password_stdin: bool) -> userconfig.Saved:
    """Log in, and with that login create an API token named after this machine."""
    if password_stdin and username is None:
        raise fail("--password-stdin needs --username", 2)
    name = username or read_line("User name")
    if password_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        password = read_line("Password", hidden=True)
    if not password:
        raise fail("no password given", 2)
    with Client(None, host=server) as anonymous, reporting_errors():
        session = anonymous.login(name, password)
    with Client(session, host=server) as client, reporting_errors():
        created = client.tokens().create(token_name())
        account = client.account().get()
    return userconfig.Saved(
        url=server, token=created.token, username=account.username, token_id=created.id
    )


def _revoke_quietly(saved: userconfig.Saved) -> None:
    assert saved.token_id is not None
    try:
        with Client(saved.token, host=saved.url, timeout=LOGOUT_TIMEOUT) as client:
            client.tokens(saved.token_id).revoke()
    except ClientError:
        return


def logout() -> None:
    """Forget the saved login: revoke the token `ishcd login` created, remove the config file.

    The file is removed even when the server cannot be reached. A token saved
    with `ishcd login --token` is not revoked (you made it; it may be in use
    elsewhere): revoke it with `ishcd tokens revoke ID` if you wish.
    """
    where = userconfig.path()
    try:
        saved = userconfig.load()
    except userconfig.ConfigFileError as exc:
        typer.echo(f"warning: {exc}", err=True)
        saved = None
    if saved is None and not where.exists():
        typer.echo(f"Not logged in: there is no {where}")
        return
    if saved and saved.token_id:
        _revoke(saved)
    elif saved:
        typer.echo(
            "The token was saved with `ishcd login --token`, so it was not revoked "
            "(`ishcd tokens revoke ID` revokes it).",
            err=True,
        )
    userconfig.remove()
    server = f" of {saved.url}" if saved else ""
    typer.echo(f"Logged out{server}: removed {where}")


def _revoke(saved: userconfig.Saved) -> None:
    assert saved.token_id is not None
    try:
        with Client(saved.token, host=saved.url, timeout=LOGOUT_TIMEOUT) as client:
            client.tokens(saved.token_id).revoke()
    except (Unauthorized, NotFound):
        typer.echo("The token was already revoked.", err=True)
    except ClientError as exc:
        report(exc)
        typer.echo(
            f"The token was not revoked: revoke {saved.token_id} later "
            "(`ishcd tokens revoke ID`, or in the web UI).",
            err=True,
        )
    else:
        typer.echo(f"Revoked the token {saved.token_id}.", err=True)


def whoami(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Who you are on which server, and where the server and token came from."""
    found = resolve(url, token)
    with client_from(url, token) as client, reporting_errors():
        account = client.account().get()

    def origin(what: str | None) -> str:
        if what == "the config file":
            return f"the config file {userconfig.path()}"
        return what or ""

    typer.echo(f"server: {base_url(found.url)} (from {origin(found.url_from)})")
    typer.echo(f"user:   {account.username}")
    typer.echo(f"admin:  {'yes (site admin)' if account.is_admin else 'no'}")
    typer.echo(f"token:  from {origin(found.token_from)}")


def register(app: typer.Typer) -> None:
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("whoami")(whoami)
