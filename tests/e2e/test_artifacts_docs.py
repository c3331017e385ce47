"""docs/artifacts.md's examples, run in order with real curl and ``ishcd`` against a real
server; how the page is read and checked: ``tests/e2e/doc_examples.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import needs_curl
from tests.e2e.doc_examples import ELLIPSIS, read_page, run_page

pytestmark = needs_curl

PAGE = Path(__file__).parents[2] / "docs" / "artifacts.md"
# What the page must keep showing, so that a lost block cannot pass unnoticed.
COVERED = [
    '"artifacts": {"paths"',
    "ishcd run shop/build --wait",
    "$API/runs/$RUN/artifacts -H",
    "Range: bytes=0-4",
    "If-None-Match",
    "content-security-policy",
    "artifacts/latest?job=build",
]


def test_the_page_shows_every_part_with_a_response_for_each_command() -> None:
    setup, examples = read_page(PAGE)
    assert set(setup) == {"API", "TOKEN", "JSON", "ISHCD_URL", "ISHCD_TOKEN"}
    assert ELLIPSIS in setup["TOKEN"]
    commands = "\n".join(example.command for example in examples)
    missing = [part for part in COVERED if part not in commands]
    assert not missing, f"docs/artifacts.md no longer shows {missing}"


def test_the_examples_of_docs_artifacts_md_work_as_shown(
    live_server_factory: Any, tmp_path: Path
) -> None:
    server = live_server_factory(ISHCD_ARTIFACT_MAX_FILE="1000000")
    ran = run_page(PAGE, server.url, server.env, {"TOKEN": server.token}, cwd=tmp_path)
    assert ran >= 14
