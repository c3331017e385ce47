"""Collecting config problems as they are found, and the dotted paths that say where.

A path reads like the YAML it points into: ``workflows.main.jobs[1].test.requires[0]``.
Keys that are not plain names are quoted: ``jobs["my job"]``. The whole document is ``""``.
"""

from __future__ import annotations

import json
import re

from ishcd.pipelines.model import ConfigError, ConfigErrors

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def child(path: str, key: str) -> str:
    """The path of ``key`` in the mapping at ``path``."""
    if not _PLAIN_KEY.fullmatch(key):
        return f"{path}[{json.dumps(key)}]"
    return f"{path}.{key}" if path else key


def item(path: str, index: int) -> str:
    """The path of item ``index`` (0-based) of the list at ``path``."""
    return f"{path}[{index}]"


class Issues:
    """The problems found so far; each (message, path, line) is kept once, in order found."""

    def __init__(self) -> None:
        self._errors: list[ConfigError] = []
        self._seen: set[tuple[object, ...]] = set()

    def add(
        self,
        message: str,
        path: str,
        line: int | None,
        *,
        once: object = None,
        trigger: bool = False,
    ) -> None:
        """Record a problem; ``trigger`` if it is in the trigger's values, not in the config.

        ``once``, when given, is a key: a later problem with the same path, line and key is
        dropped, so that a mistake in a job used by many matrix instances is told once.
        """
        key: tuple[object, ...] = (path, line, once) if once is not None else (message, path, line)
        if key in self._seen:
            return
        self._seen.add(key)
        self._errors.append(ConfigError(message=message, path=path, line=line, trigger=trigger))

    def __bool__(self) -> bool:
        return bool(self._errors)

    def __len__(self) -> int:
        return len(self._errors)

    @property
    def errors(self) -> list[ConfigError]:
        """Every problem: those about no line (the trigger, the whole file) first, then by line."""
        return sorted(self._errors, key=lambda e: -1 if e.line is None else e.line)

    def raise_if_any(self) -> None:
        """Raise ``ConfigErrors`` with every problem, if there is one."""
        if self._errors:
            raise ConfigErrors(self.errors)
