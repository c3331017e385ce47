"""docs/security.md's examples, run in order with real curl against a real server.

Every ```sh block of the page is read as commands, each followed by the
response it shows as ``#`` lines. The first block sets ``API``, ``TOKEN``
and ``JSON``; a value written with ``…`` (the admin's token) is the test's to
give. Each command then runs with bash, with the page's host replaced by the
server's and the values captured so far in its environment, and its output
must match the response shown: ``…`` stands for anything, and ``$NAME`` for
a value that is captured there and given to later commands (once captured, a
``$NAME`` in a response must be that same value).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.conftest import LiveServer, needs_curl

pytestmark = needs_curl

PAGE = Path(__file__).parents[2] / "docs" / "security.md"
PAGE_HOST = "http://127.0.0.1:8080"
ELLIPSIS = "…"
PLACEHOLDER = re.compile(r"(…|\$[A-Z][A-Z0-9_]*)")
ASSIGNMENT = re.compile(r"([A-Z][A-Z0-9_]*)=(.*)")
# What the page must keep showing, so that a lost block cannot pass unnoticed.
COVERED = [
    "POST $API/users",
    "ishcd users create",
    "$API/auth/login",
    "PATCH $API/account",
    "PATCH $API/users/",
    "DELETE $API/users/",
    "/members -H",
    "PATCH $API/projects/my-corp/members/",
    "DELETE $API/projects/my-corp/members/",
    "/invite -H",
    "$API/invitations/",
    "POST $API/tokens",
    "$API/auth/token?api_token=",
    "DELETE $API/tokens/",
    "POST $API/projects/my-corp/tokens",
    "DELETE $API/projects/my-corp/tokens/",
    "/envvars",
    "$API/credentials",
    "log?follow=1",
    "$API/projects/my-corp/audit",
    "$API/audit?",
]


@dataclass(frozen=True)
class Example:
    line: int  # where the command starts on the page
    command: str
    response: str  # as shown, without the leading "# "


def read_page() -> tuple[dict[str, str], list[Example]]:
    """The first block's assignments, and every later command with its response."""
    blocks = re.findall(r"^```sh\n(.*?)^```", PAGE.read_text(), flags=re.S | re.M)
    assert blocks, f"no ```sh blocks in {PAGE}"
    setup: dict[str, str] = {}
    for line in blocks[0].strip().splitlines():
        match = ASSIGNMENT.fullmatch(line)
        assert match, f"the first block should only set variables: {line!r}"
        setup[match.group(1)] = match.group(2)
    text = PAGE.read_text()
    examples: list[Example] = []
    for block in blocks[1:]:
        start = text.index(block)
        first_line = text.count("\n", 0, start) + 1
        examples.extend(_examples(block, first_line))
    return setup, examples


def _complete(command: str) -> bool:
    try:
        shlex.split(command)
    except ValueError:  # an open quote, or a trailing backslash
        return False
    return True


def _examples(block: str, first_line: int) -> list[Example]:
    found: list[tuple[int, str, list[str]]] = []
    pending: list[str] = []
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
    for start, command, response in found:
        assert response, f"line {start}: show the response of {command!r}"
    return [Example(start, command, "\n".join(response)) for start, command, response in found]


def pattern(response: str, known: dict[str, str]) -> re.Pattern[str]:
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


def test_the_page_shows_every_part_with_a_response_for_each_command() -> None:
    setup, examples = read_page()
    assert set(setup) == {"API", "TOKEN", "JSON"}
    assert ELLIPSIS in setup["TOKEN"]
    commands = "\n".join(example.command for example in examples)
    missing = [part for part in COVERED if part not in commands]
    assert not missing, f"docs/security.md no longer shows {missing}"
    assert len(examples) >= 50


def test_the_examples_of_docs_security_md_work_as_shown(live_server: LiveServer) -> None:
    setup, examples = read_page()
    known: dict[str, str] = {"TOKEN": live_server.token}
    for name, value in setup.items():
        if ELLIPSIS not in value:
            known[name] = " ".join(shlex.split(value.replace(PAGE_HOST, live_server.url)))
    assert set(known) == set(setup), "the page's placeholders need values from the test"
    # `ishcd` is the one installed beside this Python, aimed at the server's data dir.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    for example in examples:
        command = example.command.replace(PAGE_HOST, live_server.url)
        result = subprocess.run(
            ["bash", "-u", "-c", command],
            env={**live_server.env, "PATH": path, **known},
            capture_output=True,
            text=True,
            timeout=30,
        )
        output = result.stdout.replace("\r\n", "\n").strip()
        shown = example.response.replace(PAGE_HOST, live_server.url).strip()
        where = f"docs/security.md line {example.line}:\n{example.command}\n"
        assert result.returncode == 0, f"{where}failed ({result.returncode}): {result.stderr}"
        match = pattern(shown, known).fullmatch(output)
        assert match, f"{where}the page shows:\n{shown}\nthe server answered:\n{output}"
        known.update(match.groupdict())
