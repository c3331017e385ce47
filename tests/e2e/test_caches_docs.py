"""docs/caches.md's examples, run in order with real curl against a real server (its
embedded runner runs the jobs); how the page is read: ``tests/e2e/doc_examples.py``."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import LiveServer, needs_curl
from tests.e2e.doc_examples import read_page, run_page

pytestmark = needs_curl

PAGE = Path(__file__).parents[2] / "docs" / "caches.md"
COVERED = ["POST $API/projects/web/jobs", "log?follow=1", "/caches?key=", "-X DELETE"]


def test_the_examples_of_docs_caches_md_work_as_shown(
    live_server: LiveServer, tmp_path: Path
) -> None:
    setup, examples = read_page(PAGE)
    assert set(setup) == {"API", "TOKEN", "JSON"}
    commands = "\n".join(example.command for example in examples)
    assert not [part for part in COVERED if part not in commands]
    ran = run_page(
        PAGE, live_server.url, live_server.env, {"TOKEN": live_server.token}, cwd=tmp_path
    )
    assert ran == len(examples) >= 12
