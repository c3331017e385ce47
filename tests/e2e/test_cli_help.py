"""``ishcd … --help`` of every command, as a process: real placeholders, never a type.

typer's rich help shows ``--wait <bool>``, ``--branch <str>`` where a parameter
has no metavar; ``ishcd.cli.command()`` gives every one a placeholder.
"""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

from ishcd import cli
from tests.e2e.conftest import ISHCD

TYPES = re.compile(r"<(bool|str|int|float|path|int range)[^>]*>")


def paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under ``command``, as the words that name it."""
    found = [prefix]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found.extend(paths(sub, (*prefix, name)))
    return found


COMMANDS = paths(cli.command())


def test_every_command_is_found() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert {"runs show", "runs log", "runs cancel", "pipeline watch", "pipeline logs"} <= names
    assert len(COMMANDS) > 20


def test_help_shows_placeholders_not_types() -> None:
    env = {**os.environ, "COLUMNS": "100", "TERM": "dumb"}
    bad = {}
    for path in COMMANDS:
        done = subprocess.run(
            [*ISHCD, *path, "--help"], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (path, done.stderr)
        if TYPES.search(done.stdout):
            bad[" ".join(path) or "ishcd"] = TYPES.findall(done.stdout)
    assert bad == {}


def test_flags_have_no_placeholder_and_options_a_real_one() -> None:
    done = subprocess.run(
        [*ISHCD, "pipeline", "trigger", "--help"],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = {line.split()[1]: line for line in done.stdout.splitlines() if "│ --" in line}
    assert lines["--wait"].split()[2] == "Watch"
    assert lines["--branch"].split()[2] == "BRANCH"
    assert lines["--log-lines"].split()[2] == "N"
