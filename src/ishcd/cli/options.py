"""Options shared by commands that work on a server's data (no HTTP)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from ishcd.settings import Settings

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory [env: ISHCD_DATA_DIR; default: ./.ishcd]"),
]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="sqlite:///PATH or postgresql://… [env: ISHCD_DATABASE_URL; default: SQLite "
        "in the data dir]",
    ),
]


def settings_from(**given: Any) -> Settings:
    """Settings from the environment, overridden by the options actually given.

    Bad ones end the command (exit status 2) with a line naming each variable.
    """
    from ishcd.settings import InvalidSettings, load

    try:
        return load(**{name: value for name, value in given.items() if value is not None})
    except InvalidSettings as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
