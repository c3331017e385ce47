"""docs/security.md's examples, run in order with real curl against a real server.

The first block sets ``API``, ``TOKEN`` and ``JSON``; how the page is read
and checked: ``tests/e2e/doc_examples.py``.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import LiveServer, needs_curl
from tests.e2e.doc_examples import ELLIPSIS, read_page, run_page

pytestmark = needs_curl

PAGE = Path(__file__).parents[2] / "docs" / "security.md"
# What the page must keep showing, so that a lost block cannot pass unnoticed.
COVERED = [
    "POST $API/users",
    "ishcd admin users create",
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


def test_the_page_shows_every_part_with_a_response_for_each_command() -> None:
    setup, examples = read_page(PAGE)
    assert set(setup) == {"API", "TOKEN", "JSON"}
    assert ELLIPSIS in setup["TOKEN"]
    commands = "\n".join(example.command for example in examples)
    missing = [part for part in COVERED if part not in commands]
    assert not missing, f"docs/security.md no longer shows {missing}"
    assert len(examples) >= 50


def test_the_examples_of_docs_security_md_work_as_shown(
    live_server: LiveServer, tmp_path: Path
) -> None:
    given = {"TOKEN": live_server.token}
    ran = run_page(PAGE, live_server.url, live_server.env, given, cwd=tmp_path)
    assert ran >= 50
