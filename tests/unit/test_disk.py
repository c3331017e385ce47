from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ishcd import disk


def test_free_bytes_of_a_directory_not_made_yet(tmp_path: Path) -> None:
    assert disk.free_bytes(tmp_path / "not" / "yet") == disk.free_bytes(tmp_path) > 0


def test_the_guard_names_the_short_place_and_logs_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    huge = disk.free_bytes(tmp_path) * 2
    guard = disk.DiskGuard({"the run logs": tmp_path / "logs"}, huge)
    with caplog.at_level(logging.WARNING, logger="ishcd.disk"):
        for _ in range(3):
            problem = guard.problem()
            assert problem is not None
            assert problem.startswith(
                f"no space left on the device holding the run logs ({tmp_path}"
            )
        guard.min_free = 1
        assert guard.problem() is None
    assert [r.levelname for r in caplog.records] == ["ERROR", "WARNING"]
    assert disk.DiskGuard({"x": tmp_path}, 0).problem() is None
