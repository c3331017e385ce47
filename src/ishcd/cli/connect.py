"""What the client commands share: the server and token options, and error reports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from ishcd.client import DEFAULT_HOST, ApiError, Client, ClientError

UrlOption = Annotated[
    str,
    typer.Option("--url", envvar="ISHCD_URL", help="The Ish CD server", show_envvar=True),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="ISHCD_TOKEN",
        help="An API token (or a JWT from token exchange)",
        show_envvar=True,
        show_default=False,
    ),
]
DEFAULT_URL = DEFAULT_HOST


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` to stderr; the ``typer.Exit`` to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def client_from(url: str, token: str | None) -> Client:
    """A client for the server at ``url``; no token is an error (exit status 2)."""
    if not token:
        raise fail("no API token: pass --token or set ISHCD_TOKEN", 2)
    return Client(token, host=url)


def report(exc: ClientError) -> None:
    """Print a client error: its message, then each field error it does not say, to stderr."""
    typer.echo(f"error: {exc.message}", err=True)
    if isinstance(exc, ApiError):
        for problem in exc.errors:
            line = f"{problem.field}: {problem.message}"
            if line != exc.message:  # a one-field error's message is that field's line
                typer.echo(f"  {line}", err=True)


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn a client error in the block into its report and exit status 1."""
    try:
        yield
    except ClientError as exc:
        report(exc)
        raise typer.Exit(1) from exc
