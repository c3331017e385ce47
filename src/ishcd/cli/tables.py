"""The client commands' tables: one line per row when piped, or ``--json``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text


def print_table(table: Table) -> None:
    """Print a table: as rich draws it on a terminal, else one unwrapped line per row."""
    console = Console()
    if console.is_terminal:
        console.print(table)
        return
    # Piped: one line per row, not wrapped to an imagined 80 columns, no padding at the end.
    console = Console(width=1000)
    with console.capture() as capture:
        console.print(table)
    for line in capture.get().splitlines():
        typer.echo(line.rstrip())


def table(headers: Sequence[str], rows: Iterable[Sequence[str | Text]]) -> Table:
    """A borderless table of ``rows`` under bold ``headers``."""
    made = Table(*headers, box=None, pad_edge=False, header_style="bold")
    for row in rows:
        # Text cells: a name with [brackets] is shown as is, not taken for markup.
        made.add_row(*(cell if isinstance(cell, Text) else Text(cell) for cell in row))
    return made


def show(items: list[Any], as_json: bool, what: str, table: Table) -> None:
    """The items' JSON with ``as_json``, else ``no <what>`` on stderr, else the table."""
    if as_json:
        typer.echo(json.dumps([item.raw for item in items], indent=2))
    elif not items:
        typer.echo(f"no {what}", err=True)
    else:
        print_table(table)


class HasRaw(Protocol):
    @property
    def raw(self) -> dict[str, Any]: ...


Item = TypeVar("Item", bound=HasRaw)


def print_fields(pairs: Iterable[tuple[str, str]]) -> None:
    """Labelled values one per line, lined up: ``name:       shop``."""
    listed = list(pairs)
    width = max(len(label) for label, _ in listed) + 2
    for label, value in listed:
        typer.echo(f"{label + ':':<{width}}{value}".rstrip())


def show_one(item: Item, as_json: bool, print_item: Callable[[Item], None]) -> None:
    """One item: the API's JSON with ``as_json``, else as ``print_item`` prints it."""
    if as_json:
        typer.echo(json.dumps(item.raw, indent=2))
    else:
        print_item(item)
