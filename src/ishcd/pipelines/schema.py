"""Checking the shape of YAML nodes: mappings with known keys, strings, integers, lists, names.

Each check reports what is wrong to ``Issues`` (with the path and line) and returns the
checked value, or None when it cannot be used. Nothing here knows the config format;
``parse``, ``jobs`` and ``workflows`` say which keys go where.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection

from ishcd.pipelines.issues import Issues, child
from ishcd.pipelines.source import Text
from ishcd.pipelines.yamlmap import Map, Node, Scalar, Seq

NAME = re.compile(r"[A-Za-z0-9_-]+")
IDENTIFIER = re.compile(r"(?![0-9])[A-Za-z0-9_-]+")
MAX_NAME = 100


def quote(text: str, limit: int = 60) -> str:
    """``text`` in double quotes for a message, cut to ``limit`` characters."""
    return '"' + (text if len(text) <= limit else text[: limit - 1] + "…") + '"'


def kind(node: Node) -> str:
    """What a node is, for messages: "a mapping", "a list", "a string", "an integer"…"""
    if isinstance(node, Map):
        return "a mapping"
    if isinstance(node, Seq):
        return "a list"
    value = node.value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    return "a string"


def wrong_type(node: Node, expected: str, path: str, issues: Issues) -> None:
    """Report that ``node`` is not ``expected`` (e.g. "a string")."""
    hint = ""
    if expected.endswith("a string") and isinstance(node, Scalar) and node.value is not None:
        hint = f" (quote it: {quote(node.text)})"
    issues.add(f"expected {expected}, got {kind(node)}{hint}", path, node.line)


def mapping(
    node: Node,
    path: str,
    issues: Issues,
    *,
    keys: Collection[str] | None = None,
    required: Collection[str] = (),
    what: str = "a mapping",
) -> Map | None:
    """``node`` if it is a mapping; each key not in ``keys`` (if given) and each missing key
    in ``required`` reported."""
    if not isinstance(node, Map):
        wrong_type(node, what, path, issues)
        return None
    for entry in node.entries:
        if keys is not None and entry.key not in keys:
            issues.add(unknown_key(entry.key, keys), child(path, entry.key), entry.key_line)
    for key in required:
        if node.get(key) is None:
            issues.add(f"{quote(key)} is required", child(path, key), node.line)
    return node


def unknown_key(key: str, known: Collection[str]) -> str:
    """The message for a key that is not one of ``known``, with a guess at what was meant."""
    close = difflib.get_close_matches(key[:100], sorted(known), n=1) or [
        k for k in sorted(known) if len(key) >= 3 and k.startswith(key)
    ]
    if close:
        return f"unknown key {quote(key)} (did you mean {quote(close[0])}?)"
    return f"unknown key {quote(key)} (expected one of: {', '.join(sorted(known))})"


def sequence(node: Node, path: str, issues: Issues, *, what: str = "a list") -> Seq | None:
    """``node`` if it is a list."""
    if not isinstance(node, Seq):
        wrong_type(node, what, path, issues)
        return None
    return node


def text(node: Node, path: str, issues: Issues, *, what: str = "a string") -> Text | None:
    """``node``'s string with its place, if it is a string."""
    if isinstance(node, Scalar) and isinstance(node.value, str):
        return Text(node.value, path, node.line)
    wrong_type(node, what, path, issues)
    return None


def string(node: Node, path: str, issues: Issues, *, what: str = "a string") -> str | None:
    """``node``'s string, if it is a string."""
    found = text(node, path, issues, what=what)
    return None if found is None else found.value


def integer(node: Node, path: str, issues: Issues, *, low: int, high: int) -> int | None:
    """``node``'s integer, if it is one in ``low..high``."""
    value = node.value if isinstance(node, Scalar) else None
    if not isinstance(value, int) or isinstance(value, bool):
        wrong_type(node, "an integer", path, issues)
        return None
    if not low <= value <= high:
        issues.add(f"{value} is out of range: expected {low} to {high}", path, node.line)
        return None
    return value


def boolean(node: Node, path: str, issues: Issues) -> bool | None:
    """``node``'s boolean (``true``/``false``), if it is one."""
    if isinstance(node, Scalar) and isinstance(node.value, bool):
        return node.value
    wrong_type(node, "a boolean (true or false)", path, issues)
    return None


def name(
    value: str, path: str, line: int, issues: Issues, *, what: str, identifier: bool = False
) -> bool:
    """Whether ``value`` is a valid name of a ``what`` (e.g. "job"); if not, reported.

    Names are letters, digits, ``_`` and ``-``; an ``identifier`` also does not start with
    a digit (it is used in ``<< … >>``).
    """
    pattern, rule = (
        (IDENTIFIER, "letters, digits, _ and -, not starting with a digit")
        if identifier
        else (NAME, "letters, digits, _ and -")
    )
    if not pattern.fullmatch(value) or len(value) > MAX_NAME:
        issues.add(
            f"{quote(value)} is not a valid {what} name: use {rule}, at most {MAX_NAME}",
            path,
            line,
        )
        return False
    return True
