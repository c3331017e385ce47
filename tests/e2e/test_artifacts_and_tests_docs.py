"""docs/artifacts-and-tests.md's examples, run in order with real curl against a real
server; how the page is read and checked: ``tests/e2e/doc_examples.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import needs_curl
from tests.e2e.doc_examples import read_page, run_page

pytestmark = needs_curl

PAGE = Path(__file__).parents[2] / "docs" / "artifacts-and-tests.md"
# What the page must keep showing, so that a lost block cannot pass unnoticed.
COVERED = [
    '"artifacts": ["dist/*.whl"',
    '"test_reports": ["reports/*.xml"]',
    '"cache": {"restore"',
    "$API/runs/$SECOND/artifacts -H",
    "Range: bytes=0-2",
    "tests?result=failed",
    "tests/insights",
    "projects/demo/caches",
    "badge.svg",
]


def test_the_page_shows_every_part() -> None:
    _, examples = read_page(PAGE)
    commands = "\n".join(example.command for example in examples)
    missing = [part for part in COVERED if part not in commands]
    assert not missing, f"docs/artifacts-and-tests.md no longer shows {missing}"


def test_the_examples_of_docs_artifacts_and_tests_md_work_as_shown(
    live_server_factory: Any, tmp_path: Path
) -> None:
    server = live_server_factory()
    ran = run_page(PAGE, server.url, server.env, {"TOKEN": server.token}, cwd=tmp_path)
    assert ran >= 13
