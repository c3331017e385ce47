"""Branch and tag filters: which pipelines a workflow job runs for.

A pattern is an exact name, or a regular expression between slashes (``/release-.*/``)
that must match the whole name. For a pipeline with a branch, ``branches.only`` (the
branch matches one pattern) and ``branches.ignore`` (it matches none) apply; for a
pipeline with a tag, ``tags.only`` and ``tags.ignore`` do. ``only`` also leaves out
pipelines without a branch (or tag).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ishcd.pipelines.issues import Issues
from ishcd.pipelines.schema import quote
from ishcd.pipelines.source import Text

MAX_PATTERN = 1000


@dataclass(frozen=True)
class Filters:
    """A workflow job's filters, interpolated and checked."""

    branches_only: tuple[str, ...] = ()
    branches_ignore: tuple[str, ...] = ()
    tags_only: tuple[str, ...] = ()
    tags_ignore: tuple[str, ...] = ()

    def runs_for(self, branch: str | None, tag: str | None) -> bool:
        """Whether a pipeline with this branch and tag (None: without one) runs the job."""
        return _passes(self.branches_only, self.branches_ignore, branch) and _passes(
            self.tags_only, self.tags_ignore, tag
        )


def _passes(only: tuple[str, ...], ignore: tuple[str, ...], value: str | None) -> bool:
    if value is None:
        return not only
    if only and not any(matches(pattern, value) for pattern in only):
        return False
    return not any(matches(pattern, value) for pattern in ignore)


def is_regex(pattern: str) -> bool:
    """Whether ``pattern`` is a regular expression (``/…/``) rather than an exact name."""
    return len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/")


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern[1:-1])
    except (re.error, RecursionError, OverflowError, ValueError):
        return None


def matches(pattern: str, value: str | None) -> bool:
    """Whether ``value`` matches ``pattern``: exactly, or the whole of it for ``/regex/``.

    No value (a pipeline without a branch, say) matches nothing; nor does a pattern
    that is not a valid regular expression.
    """
    if value is None:
        return False
    if not is_regex(pattern):
        return pattern == value
    compiled = _compiled(pattern)
    return compiled is not None and compiled.fullmatch(value) is not None


def check(pattern: str, text: Text, issues: Issues) -> bool:
    """Whether ``pattern`` (``text`` interpolated) is usable; if not, reported at ``text``."""
    if not pattern:
        issues.add("the pattern is empty", text.path, text.line)
        return False
    if len(pattern) > MAX_PATTERN:
        issues.add(f"the pattern is longer than {MAX_PATTERN} characters", text.path, text.line)
        return False
    if not is_regex(pattern):
        return True
    try:
        re.compile(pattern[1:-1])
    except re.error as exc:
        issues.add(
            f"{quote(pattern)} is not a valid regular expression: {exc}", text.path, text.line
        )
        return False
    except (RecursionError, OverflowError, ValueError):
        issues.add(f"{quote(pattern)} is not a usable regular expression", text.path, text.line)
        return False
    return True
