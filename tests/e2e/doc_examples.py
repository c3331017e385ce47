"""Run a docs page's ```sh examples in order against a real server and check each response.

Every ```sh block of a page is read as commands, each followed by the
response it shows as ``#`` lines. The first block sets variables
(``NAME=value``); a value written with ``…`` (the admin's token) is the
test's to give. Each command then runs with bash, with the page's host
replaced by the server's and the values captured so far in its environment,
and its output must match the response shown: ``…`` stands for anything, and
``$NAME`` for a value that is captured there and given to later commands
(once captured, a ``$NAME`` in a response must be that same value).

A command may span lines (an open quote, a trailing backslash, ``|``,
``&&`` or ``||``, or a here document up to its terminator). Commands run one after another in the
directory the previous one ended in, so a page can ``cd``. A page that
allows it may show a command without a response: it must print nothing.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PAGE_HOST = "http://127.0.0.1:8080"
ELLIPSIS = "…"
PLACEHOLDER = re.compile(r"(…|\$[A-Z][A-Z0-9_]*)")
ASSIGNMENT = re.compile(r"(?:export )?([A-Z][A-Z0-9_]*)=(.*)")
HEREDOC = re.compile(r"<<-?(['\"]?)([A-Z_][A-Z0-9_]*)\1\s*$")  # cat > f <<'EOF' ends a line


@dataclass(frozen=True)
class Example:
    line: int  # where the command starts on the page
    command: str
    response: str  # as shown, without the leading "# "


def read_page(page: Path, *, silent_commands: bool = False) -> tuple[dict[str, str], list[Example]]:
    """The first block's assignments, and every later command with its response."""
    text = page.read_text()
    blocks = [
        (match.group(1), text.count("\n", 0, match.start(1)) + 1)
        for match in re.finditer(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)
    ]
    assert blocks, f"no ```sh blocks in {page}"
    setup: dict[str, str] = {}
    for line in blocks[0][0].strip().splitlines():
        match = ASSIGNMENT.fullmatch(line)
        assert match, f"the first block should only set variables: {line!r}"
        setup[match.group(1)] = match.group(2)
    examples: list[Example] = []
    for block, first_line in blocks[1:]:
        examples.extend(_examples(block, first_line, silent_commands))
    return setup, examples


def _complete(command: str) -> bool:
    heredoc = HEREDOC.search(command.splitlines()[0])
    if heredoc is not None:
        return command.splitlines()[-1].strip() == heredoc.group(2) and "\n" in command
    if command.rstrip().endswith(("|", "&&", "||")):
        return False  # goes on on the next line
    try:
        shlex.split(command)
    except ValueError:  # an open quote, or a trailing backslash
        return False
    return True


def _examples(block: str, first_line: int, silent_commands: bool) -> list[Example]:
    found: list[tuple[int, str, list[str]]] = []
    pending: list[str] = []
    start = first_line
    for number, line in enumerate(block.splitlines(), first_line):
        if pending:
            pending.append(line)
        elif line.startswith("#"):
            assert found, f"line {number}: a response with no command before it"
            found[-1][2].append(line[2:] if line.startswith("# ") else line[1:])
            continue
        elif line.strip():
            pending = [line]
            start = number
        else:
            continue
        command = "\n".join(pending)
        if _complete(command):
            found.append((start, command, []))
            pending = []
    assert not pending, f"line {first_line}: a command is not finished: {pending}"
    if not silent_commands:
        for start, command, response in found:
            assert response, f"line {start}: show the response of {command!r}"
    return [Example(start, command, "\n".join(response)) for start, command, response in found]


def pattern(response: str, known: Mapping[str, str]) -> re.Pattern[str]:
    """A response as shown, as a regular expression for the real one."""
    parts: list[str] = []
    capturing: set[str] = set()
    for piece in PLACEHOLDER.split(response):
        if piece == ELLIPSIS:
            parts.append(".*?")
        elif PLACEHOLDER.fullmatch(piece):
            name = piece[1:]
            if name in known:
                parts.append(re.escape(known[name]))
            elif name in capturing:
                parts.append(f"(?P={name})")
            else:
                capturing.add(name)
                parts.append(f'(?P<{name}>[^"\\s]+)')
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts), flags=re.S)


def run_page(
    page: Path,
    server_url: str,
    server_env: Mapping[str, str],
    given: Mapping[str, str],
    *,
    cwd: Path,
    silent_commands: bool = False,
    timeout: float = 30,
) -> int:
    """Run every example of ``page`` in order; how many ran. ``given``: the ``…`` values."""
    setup, examples = read_page(page, silent_commands=silent_commands)
    known: dict[str, str] = dict(given)
    for name, value in setup.items():
        if ELLIPSIS not in value:
            value = " ".join(shlex.split(value.replace(PAGE_HOST, server_url)))
            known[name] = re.sub(r"\$([A-Z][A-Z0-9_]*)", lambda m: known[m.group(1)], value)
    assert set(known) >= set(setup), "the page's placeholders need values from the test"
    # `ishcd` is the one installed beside this Python.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    where_file = cwd / ".doc-examples-cwd"
    here = cwd
    for example in examples:
        command = example.command.replace(PAGE_HOST, server_url)
        script = f'cd {shlex.quote(str(here))}\n{command}\nrc=$?\npwd > "$DOC_CWD_FILE"\nexit $rc\n'
        result = subprocess.run(
            ["bash", "-u", "-c", script],
            env={**server_env, "PATH": path, **known, "DOC_CWD_FILE": str(where_file)},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if where_file.exists():
            here = Path(where_file.read_text().strip())
        output = result.stdout.replace("\r\n", "\n").strip()
        shown = example.response.replace(PAGE_HOST, server_url).strip()
        where = f"{page.name} line {example.line}:\n{example.command}\n"
        assert result.returncode == 0, f"{where}failed ({result.returncode}): {result.stderr}"
        match = pattern(shown, known).fullmatch(output)
        assert match, f"{where}the page shows:\n{shown}\nthe command printed:\n{output}"
        known.update(match.groupdict())
    return len(examples)
