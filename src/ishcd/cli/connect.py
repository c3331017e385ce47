"""What the client commands share: the server and token options, and error reports.

A command finds its server and token, each on its own, in this order: the
``--url``/``--token`` options, the ``ISHCD_URL``/``ISHCD_TOKEN`` environment
variables, the config file ``ishcd login`` wrote, and for the server
``http://127.0.0.1:8080``. The config file's token only ever goes to the
config file's server: aimed at another one, a command needs a token of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

import typer

from ishcd.cli import userconfig
from ishcd.client import DEFAULT_HOST, ApiError, Client, ClientError, Unauthorized
from ishcd.client.transport import base_url

URL_ENV = "ISHCD_URL"
TOKEN_ENV = "ISHCD_TOKEN"
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help=f"The Ish CD server (else ${URL_ENV}, else the one `ishcd login` saved, "
        f"else {DEFAULT_HOST})",
        show_default=False,
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        help=f"An API token or a JWT (else ${TOKEN_ENV}, else the one `ishcd login` saved)",
        show_default=False,
    ),
]
# The options' default: "not given", so the environment and the config file are looked at.
DEFAULT_URL: str | None = None
SAVED = "the config file"
_saved_token_in_use = False  # the command's token is the one ``ishcd login`` saved


@dataclass(frozen=True, kw_only=True)
class Connection:
    """The server and token a command uses, and where each came from."""

    url: str
    token: str | None
    url_from: str  # "--url", "ISHCD_URL", "the config file", "the default"
    token_from: str | None  # "--token", "ISHCD_TOKEN", "the config file", or None
    saved: userconfig.Saved | None  # the config file, when it was read


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` to stderr; the ``typer.Exit`` to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _given(option: str | None, option_name: str, env: str) -> tuple[str | None, str | None]:
    if option:
        return option, option_name
    value = os.environ.get(env)
    if value:
        return value, env
    return None, None


def resolve(url: str | None, token: str | None) -> Connection:
    """The server and token from the options given, else the environment, else the config
    file; an unreadable config file is an error (exit status 1)."""
    url, url_from = _given(url, "--url", URL_ENV)
    token, token_from = _given(token, "--token", TOKEN_ENV)
    saved = None
    if url is None or token is None:
        try:
            saved = userconfig.load()
        except userconfig.ConfigFileError as exc:
            raise fail(str(exc)) from exc
    if url is None:
        url, url_from = (saved.url, SAVED) if saved else (DEFAULT_HOST, "the default")
    if token is None and saved and base_url(saved.url) == base_url(url):
        token, token_from = saved.token, SAVED
    assert url_from is not None
    return Connection(url=url, token=token, url_from=url_from, token_from=token_from, saved=saved)


def client_from(url: str | None, token: str | None) -> Client:
    """A client for the server and token found by :func:`resolve`; none is exit status 2."""
    found = resolve(url, token)
    if not found.token:
        raise fail(
            f"no API token for {base_url(found.url)}: run `ishcd login`, "
            f"pass --token or set {TOKEN_ENV}",
            2,
        )
    global _saved_token_in_use  # one command per process: for report()'s hint
    _saved_token_in_use = found.token_from == SAVED
    return Client(found.token, host=found.url)


def report(exc: ClientError) -> None:
    """Print a client error: its message, then each field error it does not say, to stderr."""
    typer.echo(f"error: {exc.message}", err=True)
    if isinstance(exc, ApiError):
        for problem in exc.errors:
            line = f"{problem.field}: {problem.message}"
            if line != exc.message:  # a one-field error's message is that field's line
                typer.echo(f"  {line}", err=True)
    if isinstance(exc, Unauthorized) and _saved_token_in_use:
        typer.echo(
            f"(the token `ishcd login` saved in {userconfig.path()} no longer works: "
            "run `ishcd login` again)",
            err=True,
        )


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn a client error in the block into its report and exit status 1."""
    try:
        yield
    except ClientError as exc:
        report(exc)
        raise typer.Exit(1) from exc
