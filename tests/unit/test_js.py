"""The web UI's JavaScript modules that run without a browser, under node's test runner."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "src" / "ishcd" / "web" / "static" / "js"
TESTS = ROOT / "tests" / "js"


@pytest.mark.parametrize("module", ["ansi"])
def test_module(module: str, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the browser tests still cover these modules")
    # As .mjs, node reads the browser's ES module as one without a package.json.
    shutil.copy(JS / f"{module}.js", tmp_path / f"{module}.mjs")
    shutil.copy(TESTS / f"{module}.test.mjs", tmp_path / f"{module}.test.mjs")
    done = subprocess.run(
        [node, "--test", str(tmp_path / f"{module}.test.mjs")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
