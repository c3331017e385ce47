"""``ishcd config validate [FILE]``: check a pipeline config offline (no server, no token)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Protocol

import typer

from ishcd.pipelines import compile as compiler
from ishcd.pipelines.model import ConfigErrors

DEFAULT_FILE = ".ishcd.yml"

config_app = typer.Typer(help="Work with pipeline configs (.ishcd.yml), offline.")


class Problem(Protocol):
    """A config error as the compiler or the API reports it."""

    @property
    def message(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def line(self) -> int | None: ...


def error_line(file: str, error: Problem) -> str:
    """``FILE:LINE: PATH: MESSAGE``; the line and the path are left out when unknown."""
    where = file if error.line is None else f"{file}:{error.line}"
    return f"{where}: {error.path}: {error.message}" if error.path else f"{where}: {error.message}"


@config_app.command("validate")
def validate(
    file: Annotated[
        Path,
        typer.Argument(help="The config to check", show_default=True),
    ] = Path(DEFAULT_FILE),
) -> None:
    """Check a config as far as it can be without a trigger: exit 1 on any error.

    Parameters take their defaults (a placeholder if they have none); git values are
    placeholders; every filter is checked, none is applied.
    """
    try:
        text = file.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        typer.echo(f"{file}: cannot read the file: {reason}", err=True)
        raise typer.Exit(2) from None
    try:
        plan = compiler.preview(text)
    except ConfigErrors as exc:
        for error in exc.errors:
            typer.echo(error_line(str(file), error))
        raise typer.Exit(1) from None
    jobs = sum(len(workflow.jobs) for workflow in plan.workflows)
    typer.echo(f"{file}: valid ({_count(len(plan.workflows), 'workflow')}, {_count(jobs, 'job')})")


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
