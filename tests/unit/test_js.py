"""The web UI's JavaScript modules that run without a browser, under node's test runner."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "src" / "ishcd" / "web" / "static" / "js"
TESTS = ROOT / "tests" / "js"


@pytest.mark.parametrize("module", ["ansi", "loglines", "logsections"])
def test_module(module: str, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the browser tests still cover these modules")
    # The browser's modules as they are, in a package node reads as ES modules.
    for path in JS.glob("*.js"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "package.json").write_text('{"type": "module"}\n')
    test = tmp_path / f"{module}.test.js"
    shutil.copy(TESTS / f"{module}.test.mjs", test)
    done = subprocess.run(
        [node, "--test", str(test)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
