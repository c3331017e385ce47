"""docs/cli.md names every ``ishcd`` command, so a new one cannot go undocumented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ishcd.cli import command

PAGE = Path(__file__).parents[2] / "docs" / "cli.md"


def commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    subcommands: dict[str, Any] | None = getattr(group, "commands", None)
    if not subcommands:
        yield " ".join(prefix)
        return
    for name, sub in subcommands.items():
        yield from commands(sub, (*prefix, name))


def test_every_command_is_in_docs_cli_md() -> None:
    every = list(commands(command()))
    assert len(every) > 40
    text = PAGE.read_text()
    missing = [name for name in every if f"ishcd {name}" not in text]
    assert not missing, f"docs/cli.md does not show: {missing}"
