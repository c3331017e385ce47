"""Checking what a user wrote for a job's ``artifacts``, ``cache`` and ``test_reports``.

The same shapes on stored jobs (``/v1``, JSON) and in ``.ishcd.yml`` (YAML): this
module takes plain values (lists, dicts, strings, integers) and gives the checked
``ishcd.outputs`` parts, or every problem found, each with where it is relative to
the field (``("paths", 2)`` is ``artifacts.paths[2]``) so that each caller can name
it its own way (a request field, a config path with its line)::

    artifacts: [dist/*.whl, screenshots/**]
    artifacts: {paths: [dist/*.whl], when: on_failure, expire_in: 30d}
    cache: {restore: [deps-{{ checksum "req.txt" }}, deps-], save: {key: ..., paths: [.venv]}}
    test_reports: [reports/*.xml]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ishcd.outputs import WHEN, ArtifactsSpec, CacheSpec, Outputs
from ishcd.runner.globs import pattern_problem

MAX_PATTERNS = 32  # per list: artifacts.paths, test_reports, cache.save.paths
MAX_RESTORE_KEYS = 16
MAX_KEY = 512
MAX_EXPIRE_IN = 10 * 366 * 86400  # ten years, in seconds
UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"(?:\d+[wdhms])+")
_DURATION_PART = re.compile(r"(\d+)([wdhms])")
DURATION_RULE = (
    "a number of seconds, or a duration such as 30d, 12h, 90m, 3600s or 1d12h "
    "(w, d, h, m, s), at most 10 years"
)

Where = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    where: Where  # below the field: ("paths", 2)
    message: str

    def path(self, root: str) -> str:
        """``root`` with ``where`` after it: ``artifacts.paths[2]``."""
        return root + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.where)


@dataclass
class _Found:
    problems: list[Problem] = field(default_factory=list)

    def add(self, where: Where, message: str) -> None:
        self.problems.append(Problem(where, message))


class OutputsInvalid(Exception):
    """What a user wrote for a job's outputs cannot be used; ``problems`` says why."""

    def __init__(self, field_name: str, problems: list[Problem]):
        self.field_name = field_name
        self.problems = problems
        super().__init__("; ".join(f"{p.path(field_name)}: {p.message}" for p in problems))


def artifacts(value: Any) -> ArtifactsSpec | None:
    """``artifacts`` checked: a list of patterns or {paths, when, expire_in}; None (or
    an empty list) is none. Raises ``OutputsInvalid``."""
    found = _Found()
    spec = _artifacts(value, found)
    _raise_if_any("artifacts", found)
    return spec


def cache(value: Any) -> CacheSpec | None:
    """``cache`` checked: {restore: [key templates], save: {key, paths}}, either part
    optional but one of them there; None is none. Raises ``OutputsInvalid``."""
    found = _Found()
    spec = _cache(value, found)
    _raise_if_any("cache", found)
    return spec


def test_reports(value: Any) -> tuple[str, ...]:
    """``test_reports`` checked: a list of JUnit XML patterns; None (or []) is none.
    Raises ``OutputsInvalid``."""
    found = _Found()
    patterns = _patterns(value, (), found, allow_empty=True)
    _raise_if_any("test_reports", found)
    return patterns


def outputs(artifacts_value: Any, cache_value: Any, test_reports_value: Any) -> Outputs:
    """All three checked at once (``OutputsInvalid`` names the first field that fails)."""
    return Outputs(
        artifacts=artifacts(artifacts_value),
        cache=cache(cache_value),
        test_reports=test_reports(test_reports_value),
    )


def duration(value: Any) -> int:
    """``expire_in`` as seconds (``30d``, ``12h``, ``90m``, ``3600s``, ``3600``, 3600).

    Raises ``ValueError`` saying what is accepted."""
    seconds: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit() and len(text) <= 12:
            seconds = int(text)
        elif len(text) <= 64 and _DURATION.fullmatch(text):
            seconds = sum(int(n) * UNITS[u] for n, u in _DURATION_PART.findall(text))
    if seconds is None or not 1 <= seconds <= MAX_EXPIRE_IN:
        raise ValueError(f"must be {DURATION_RULE}")
    return seconds


def duration_text(seconds: int) -> str:
    """``seconds`` as the largest whole unit ``duration`` reads back: 30d, 12h, 90m, 45s."""
    for unit in ("d", "h", "m"):
        if seconds % UNITS[unit] == 0:
            return f"{seconds // UNITS[unit]}{unit}"
    return f"{seconds}s"


def _raise_if_any(field_name: str, found: _Found) -> None:
    if found.problems:
        raise OutputsInvalid(field_name, found.problems)


def _artifacts(value: Any, found: _Found) -> ArtifactsSpec | None:
    if value is None:
        return None
    if isinstance(value, list):
        paths = _patterns(value, (), found, allow_empty=True)
        return ArtifactsSpec(paths) if paths else None
    if not isinstance(value, dict):
        found.add((), "must be a list of patterns or {paths, when, expire_in}")
        return None
    _unknown_keys(value, ("paths", "when", "expire_in"), (), found)
    if "paths" not in value:
        found.add(("paths",), "is required: a list of patterns")
    paths = _patterns(value.get("paths"), ("paths",), found, allow_empty=False)
    when = value.get("when", "always")
    if when is None:
        when = "always"
    if when not in WHEN:
        found.add(("when",), "must be one of " + ", ".join(WHEN))
        when = "always"
    expire_in = None
    if value.get("expire_in") is not None:
        try:
            expire_in = duration(value["expire_in"])
        except ValueError as exc:
            found.add(("expire_in",), str(exc))
    return ArtifactsSpec(paths, when, expire_in)


def _cache(value: Any, found: _Found) -> CacheSpec | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        found.add((), "must be {restore: [keys], save: {key, paths}}")
        return None
    _unknown_keys(value, ("restore", "save"), (), found)
    restore_value = value.get("restore")
    save_value = value.get("save")
    if restore_value is None and save_value is None:
        found.add((), "needs restore, save or both")
        return None
    restore: tuple[str, ...] = ()
    if restore_value is not None:
        if not isinstance(restore_value, list):
            found.add(("restore",), "must be a list of key templates")
        elif not restore_value:
            found.add(("restore",), "must not be empty")
        elif len(restore_value) > MAX_RESTORE_KEYS:
            found.add(("restore",), f"at most {MAX_RESTORE_KEYS} keys")
        else:
            keys = [_key(k, ("restore", i), found) for i, k in enumerate(restore_value)]
            restore = tuple(dict.fromkeys(k for k in keys if k is not None))
    if save_value is None:
        return CacheSpec(restore)
    if not isinstance(save_value, dict):
        found.add(("save",), "must be {key, paths}")
        return CacheSpec(restore)
    _unknown_keys(save_value, ("key", "paths"), ("save",), found)
    if "key" not in save_value:
        found.add(("save", "key"), "is required: a key template")
    if "paths" not in save_value:
        found.add(("save", "paths"), "is required: a list of patterns")
    key = _key(save_value.get("key"), ("save", "key"), found)
    paths = _patterns(save_value.get("paths"), ("save", "paths"), found, allow_empty=False)
    return CacheSpec(restore, key, paths)


def _key(value: Any, where: Where, found: _Found) -> str | None:
    if value is None and where[-1] == "key":
        return None  # told as missing
    if not isinstance(value, str):
        found.add(where, "must be a string (a key template)")
        return None
    if not value.strip():
        found.add(where, "must not be empty")
    elif len(value) > MAX_KEY:
        found.add(where, f"must be at most {MAX_KEY} characters")
    elif any(ord(c) < 32 or ord(c) == 127 for c in value):
        found.add(where, "must not hold control characters (newlines, tabs, NUL)")
    else:
        return value
    return None


def _patterns(value: Any, where: Where, found: _Found, *, allow_empty: bool) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        found.add(where, "must be a list of patterns")
        return ()
    if not value and not allow_empty:
        found.add(where, "must have at least one pattern")
    if len(value) > MAX_PATTERNS:
        found.add(where, f"at most {MAX_PATTERNS} patterns")
        return ()
    patterns = []
    for index, pattern in enumerate(value):
        if not isinstance(pattern, str):
            found.add((*where, index), "must be a string (a pattern)")
            continue
        problem = pattern_problem(pattern)
        if problem is not None:
            found.add((*where, index), problem)
            continue
        patterns.append(pattern)
    return tuple(dict.fromkeys(patterns))


def _unknown_keys(
    value: dict[Any, Any], known: tuple[str, ...], where: Where, found: _Found
) -> None:
    for key in value:
        if key not in known:
            found.add((*where, str(key)), "unknown key: expected " + ", ".join(known))
