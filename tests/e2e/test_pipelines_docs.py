"""docs/pipelines.md, the tutorial, followed from an empty directory against a real server.

Its commands (git, ``ishcd``, curl) run in order in a fresh directory, each
in the directory the one before it ended in; each output must match what
the page shows (``tests/e2e/doc_examples.py`` says how the page is read).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.e2e.conftest import LiveServer, needs_curl
from tests.e2e.doc_examples import read_page, run_page

pytestmark = needs_curl

PAGE = Path(__file__).parents[2] / "docs" / "pipelines.md"
# What the tutorial must keep showing: the path the issue promises.
COVERED = [
    "ishcd config validate",
    "git push",
    "repository",
    "ishcd pipeline trigger",
    "matrix",
    "ishcd pipeline approve",
    "promotions",
    "ishcd pipeline show",
    "--param",
    "rerun",
]


def test_the_page_walks_the_whole_way() -> None:
    setup, examples = read_page(PAGE, silent_commands=True)
    assert set(setup) == {"API", "TOKEN", "JSON", "ISHCD_URL", "ISHCD_TOKEN"}
    text = PAGE.read_text()
    missing = [part for part in COVERED if part not in text]
    assert not missing, f"docs/pipelines.md no longer shows {missing}"
    assert len(examples) >= 20


def follow_the_tutorial(server: LiveServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    start = tmp_path / "work"
    start.mkdir()
    # A machine where git has never been set up: the page sets what it needs.
    env = {k: v for k, v in server.env.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", PATH=os.environ.get("PATH", ""))
    ran = run_page(
        PAGE,
        server.url,
        env,
        {"TOKEN": server.token},
        cwd=start,
        silent_commands=True,
        timeout=60,
    )
    assert ran >= 20


def test_the_tutorial_works_as_shown(live_server: LiveServer, tmp_path: Path) -> None:
    follow_the_tutorial(live_server, tmp_path)


def test_the_tutorial_works_as_shown_on_postgresql(
    live_server_factory: Any, empty_postgres_url: str, tmp_path: Path
) -> None:
    follow_the_tutorial(live_server_factory(database_url=empty_postgres_url), tmp_path)
