"""Workspace globs: what artifacts, test reports and caches match, never outside."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ishcd.runner.globs import find_files, pattern_problem


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    for name in ("dist/a.whl", "dist/b.tar.gz", "shots/x/1.png", "shots/2.png", ".hidden/c.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
    (tmp_path / "secret.txt").write_text("outside")
    return root


def test_star_matches_in_one_directory(workspace: Path) -> None:
    assert find_files(workspace, ["dist/*.whl"]).files == ["dist/a.whl"]


def test_double_star_matches_any_depth(workspace: Path) -> None:
    assert find_files(workspace, ["shots/**"]).files == ["shots/2.png", "shots/x/1.png"]
    assert find_files(workspace, ["**/*.png"]).files == ["shots/2.png", "shots/x/1.png"]


def test_a_directory_takes_every_file_below_it(workspace: Path) -> None:
    assert find_files(workspace, ["shots"]).files == ["shots/2.png", "shots/x/1.png"]


def test_matches_of_several_patterns_are_sorted_and_unique(workspace: Path) -> None:
    matches = find_files(workspace, ["dist/*", "dist/a.whl", ".hidden/*"])
    assert matches.files == [".hidden/c.txt", "dist/a.whl", "dist/b.tar.gz"]
    assert matches.problems == []


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("../secret.txt", "has a '..' part"),
        ("dist/../../secret.txt", "has a '..' part"),
        ("/etc/passwd", "is absolute"),
        ("~/x", "is absolute"),
        ("", "is empty"),
        ("x" * 1025, "is longer than 1024"),
    ],
)
def test_patterns_that_could_leave_are_refused(workspace: Path, pattern: str, problem: str) -> None:
    assert problem in (pattern_problem(pattern) or "")
    matches = find_files(workspace, [pattern])
    assert matches.files == []
    assert len(matches.problems) == 1
    assert problem in matches.problems[0]


def test_a_symlink_pointing_out_is_refused(workspace: Path) -> None:
    os.symlink(workspace.parent / "secret.txt", workspace / "dist" / "evil.whl")
    matches = find_files(workspace, ["dist/*.whl"])
    assert matches.files == ["dist/a.whl"]
    assert matches.problems == ["'dist/evil.whl' is refused: it points outside the workspace"]


def test_a_symlinked_directory_out_is_never_walked(workspace: Path) -> None:
    os.symlink(workspace.parent, workspace / "shots" / "up")
    matches = find_files(workspace, ["shots/**", "**/secret.txt"])
    assert matches.files == ["shots/2.png", "shots/x/1.png"]
    assert "'shots/up' is refused: it points outside the workspace" in matches.problems
    assert not any("secret" in f for f in matches.files)


def test_a_symlink_inside_the_workspace_is_kept(workspace: Path) -> None:
    os.symlink("a.whl", workspace / "dist" / "same.whl")
    assert find_files(workspace, ["dist/*.whl"]).files == ["dist/a.whl", "dist/same.whl"]


def test_a_symlink_loop_is_refused_not_followed(workspace: Path) -> None:
    os.symlink("loop", workspace / "loop")
    matches = find_files(workspace, ["loop"])
    assert matches.files == []
    assert matches.problems


def test_no_match_is_a_problem_line(workspace: Path) -> None:
    assert find_files(workspace, ["nope/*"]).problems == ["pattern 'nope/*' matched no files"]
