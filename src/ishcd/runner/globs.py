"""Files of a workspace matched by glob patterns, never a path outside it.

Patterns are relative to the workspace (``dist/*.whl``, ``screenshots/**``,
``reports``): ``**`` matches any depth, and a pattern that matches a directory
takes every file below it. A pattern that is absolute or has a ``..`` part is
refused, and so is a match that resolves outside the workspace (a symlink
pointing out): each refusal is a problem, for the run's log, and the other
matches are kept.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_PATTERN = 1024


@dataclass
class Matches:
    files: list[str] = field(default_factory=list)  # relative, "/"-separated, sorted, unique
    problems: list[str] = field(default_factory=list)  # one line each, for the log


def pattern_problem(pattern: str) -> str | None:
    """Why a pattern can never be used (for checking a job's config), or None."""
    if not pattern or not pattern.strip():
        return "is empty"
    if len(pattern) > MAX_PATTERN:
        return f"is longer than {MAX_PATTERN} characters"
    if "\0" in pattern:
        return "contains a NUL character"
    path = PurePosixPath(pattern)
    if path.is_absolute() or pattern.startswith("~"):
        return "is absolute: patterns are relative to the workspace"
    if ".." in path.parts:
        return "has a '..' part: patterns stay inside the workspace"
    return None


def find_files(workspace: Path, patterns: tuple[str, ...] | list[str]) -> Matches:
    """The regular files the patterns match in ``workspace`` (which must exist).

    The walk never follows a symlinked directory (``**`` stays in the workspace's
    own tree); a symlinked file is kept when it resolves inside the workspace."""
    root = workspace.resolve()
    found: set[str] = set()
    result = Matches()
    for pattern in patterns:
        problem = pattern_problem(pattern)
        if problem is not None:
            result.problems.append(f"pattern {pattern!r} {problem}")
            continue
        hits = _match(root, [p for p in PurePosixPath(pattern).parts if p != "."])
        if not hits:
            result.problems.append(f"pattern {pattern!r} matched no files")
        for hit in hits:
            _add(root, hit, found, result)
    result.files = sorted(found)
    result.problems = list(dict.fromkeys(result.problems))
    return result


def _match(root: Path, parts: list[str]) -> list[str]:
    """Paths (relative) under ``root`` matching the pattern ``parts``; no symlinked
    directory is entered."""
    fixed: list[str] = []
    for part in parts:  # the literal head: no need to walk what it excludes
        if _is_magic(part):
            break
        fixed.append(part)
    rest = parts[len(fixed) :]
    base = root.joinpath(*fixed) if fixed else root
    prefix = "/".join(fixed)
    if not rest:
        return [prefix] if (base.exists() or base.is_symlink()) else []
    if not base.is_dir() or (base.is_symlink() and fixed):
        return []
    hits: list[str] = []
    for directory, dirs, files in os.walk(base):  # followlinks=False
        here = Path(directory).relative_to(base).parts
        dirs.sort()
        for name in [*sorted(files), *dirs]:
            if _fits([*here, name], rest):
                hits.append("/".join([*fixed, *here, name]))
    return hits


def _is_magic(part: str) -> bool:
    return any(c in part for c in "*?[")


def _fits(path: list[str], pattern: list[str]) -> bool:
    if not pattern:
        return not path
    head, tail = pattern[0], pattern[1:]
    if head == "**":
        return any(_fits(path[i:], tail) for i in range(len(path) + 1)) or not tail
    return bool(path) and fnmatch.fnmatchcase(path[0], head) and _fits(path[1:], tail)


def _add(root: Path, relative: str, found: set[str], result: Matches) -> None:
    path = root / relative
    if _outside(root, path):
        result.problems.append(f"{relative!r} is refused: it points outside the workspace")
        return
    if path.is_dir() and not path.is_symlink():
        for directory, dirs, files in os.walk(path):  # symlinked directories are not walked
            here = Path(directory)
            for name in [*files, *(d for d in dirs if (here / d).is_symlink())]:
                _add_file(root, here / name, found, result)
        return
    _add_file(root, path, found, result)


def _add_file(root: Path, path: Path, found: set[str], result: Matches) -> None:
    relative = path.relative_to(root).as_posix()
    if _outside(root, path):
        result.problems.append(f"{relative!r} is refused: it points outside the workspace")
        return
    if path.is_file():  # follows a symlink that stays inside; skips sockets, fifos, dirs
        found.add(relative)


def _outside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop
        return True
    return False
