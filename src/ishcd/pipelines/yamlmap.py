"""Loading YAML into a small tree of nodes that remember their line.

PyYAML's SafeLoader composes the node tree (``yaml.compose``); nothing is constructed
into Python objects except plain scalars. The tree is bounded so that no text can hang
or exhaust memory: the text's size, the nesting depth, and the number of nodes once
aliases are expanded (an alias "bomb" stops at that budget). Anchors, aliases and
``<<`` merge keys work within those bounds. Duplicate keys are errors, not silently
the last one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from ishcd.pipelines.issues import Issues, child, item

MAX_CHARS = 256 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000
MAX_INT = 2**63 - 1

ScalarValue = str | bool | int | float | None

_TAG = "tag:yaml.org,2002:"
_TEXT_TAGS = {_TAG + "str", _TAG + "timestamp"}
_MERGE = _TAG + "merge"
_CONSTRUCTOR = SafeConstructor()


@dataclass(frozen=True, slots=True)
class Scalar:
    """A scalar: its value as YAML reads it (``1`` an int, ``yes`` a bool) and as written."""

    value: ScalarValue
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Node, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    key_line: int
    value: Node


@dataclass(frozen=True, slots=True)
class Map:
    entries: tuple[Entry, ...]
    line: int

    def get(self, key: str) -> Node | None:
        """The value at ``key``, or None if absent."""
        for entry in self.entries:
            if entry.key == key:
                return entry.value
        return None

    def entry(self, key: str) -> Entry | None:
        """The entry at ``key``, or None if absent."""
        for entry in self.entries:
            if entry.key == key:
                return entry
        return None


Node = Scalar | Seq | Map


class _Refused(Exception):
    """The text is refused as a whole (too deep, too large once expanded)."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.message = message
        self.line = line


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses to compose deeper than ``MAX_DEPTH`` (composing recurses)."""

    def __init__(self, text: str):
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
                raise _Refused(
                    f"the YAML is nested more than {MAX_DEPTH} levels deep", _line(event.start_mark)
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _line(mark: Any) -> int | None:
    line = getattr(mark, "line", None)
    return line + 1 if isinstance(line, int) else None


def load(text: str, issues: Issues) -> Node | None:
    """The document in ``text`` as a node tree; None (with the reason in ``issues``) if none.

    Problems that leave the rest readable (a duplicate key, an unknown tag) are added to
    ``issues`` and the tree is still returned.
    """
    if not text.strip():
        issues.add("the config is empty", "", None)
        return None
    if len(text) > MAX_CHARS:
        issues.add(f"the config is too big: {len(text)} characters, at most {MAX_CHARS}", "", None)
        return None
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except _Refused as exc:
        issues.add(exc.message, "", exc.line)
        return None
    except yaml.MarkedYAMLError as exc:
        issues.add(_yaml_message(exc), "", _line(exc.problem_mark or exc.context_mark))
        return None
    except yaml.reader.ReaderError as exc:
        where = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else None
        char = f" (character #x{code:04x})" if code is not None else ""
        issues.add(f"invalid YAML: {exc.reason}{char}", "", where)
        return None
    except yaml.YAMLError as exc:
        issues.add(f"invalid YAML: {exc}", "", None)
        return None
    if root is None:
        issues.add("the config is empty", "", None)
        return None
    try:
        return _Converter(issues).convert(root, "", 0)
    except _Refused as exc:
        issues.add(exc.message, "", exc.line)
        return None


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "syntax error"
    if exc.context:
        return f"invalid YAML: {exc.context}, {problem}"
    return f"invalid YAML: {problem}"


class _Converter:
    """Turns PyYAML's node graph (shared, maybe cyclic through aliases) into a tree."""

    def __init__(self, issues: Issues):
        self.issues = issues
        self.budget = MAX_NODES

    def spend(self, node: yaml.Node, depth: int) -> int:
        """Count one more node against the budget; its line."""
        line = _line(node.start_mark) or 1
        self.budget -= 1
        if self.budget < 0:
            raise _Refused(
                f"the config is too large once its aliases are expanded (over {MAX_NODES} values)",
                line,
            )
        if depth > MAX_DEPTH:
            raise _Refused(f"the YAML is nested more than {MAX_DEPTH} levels deep", line)
        return line

    def convert(self, node: yaml.Node, path: str, depth: int) -> Node:
        line = self.spend(node, depth)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path, line)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _TAG + "seq":
                self.issues.add(f"unsupported YAML tag {node.tag}", path, line)
            return Seq(
                tuple(self.convert(v, item(path, i), depth + 1) for i, v in enumerate(node.value)),
                line,
            )
        assert isinstance(node, yaml.MappingNode)
        if node.tag != _TAG + "map":
            self.issues.add(f"unsupported YAML tag {node.tag}", path, line)
        return Map(self.entries(node, path, depth), line)

    def scalar(self, node: yaml.ScalarNode, path: str, line: int) -> Scalar:
        text: str = node.value
        tag = node.tag
        if tag in _TEXT_TAGS:
            return Scalar(text, text, line)
        try:
            if tag == _TAG + "null":
                return Scalar(None, text, line)
            if tag == _TAG + "bool":
                return Scalar(_CONSTRUCTOR.construct_yaml_bool(node), text, line)
            if tag == _TAG + "int":
                number = _CONSTRUCTOR.construct_yaml_int(node)
                if abs(number) > MAX_INT:
                    raise ValueError("too large")
                return Scalar(number, text, line)
            if tag == _TAG + "float":
                return Scalar(_CONSTRUCTOR.construct_yaml_float(node), text, line)
        except (ValueError, ArithmeticError, yaml.YAMLError):
            self.issues.add(f"{text[:40]!r} is not a number YAML can read", path, line)
            return Scalar(text, text, line)
        self.issues.add(f"unsupported YAML tag {tag}", path, line)
        return Scalar(text, text, line)

    def entries(self, node: yaml.MappingNode, path: str, depth: int) -> tuple[Entry, ...]:
        explicit: list[Entry] = []
        merged: list[Entry] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(self.merge(value_node, path, depth))
                continue
            key_line = _line(key_node.start_mark) or 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.issues.add(
                    "a key must be a plain string, not a list or mapping", path, key_line
                )
                continue
            key = str(key_node.value)
            if any(e.key == key for e in explicit):
                self.issues.add(f"duplicate key {key!r}", child(path, key), key_line)
                continue
            explicit.append(
                Entry(key, key_line, self.convert(value_node, child(path, key), depth + 1))
            )
        if not merged:
            return tuple(explicit)
        # As PyYAML does: merged keys first, a key written here wins over a merged one,
        # and of several merged mappings the first to give a key wins.
        written = {e.key for e in explicit}
        result: list[Entry] = []
        for entry in merged:
            if entry.key not in written:
                written.add(entry.key)
                result.append(entry)
        return tuple(result + explicit)

    def merge(self, node: yaml.Node, path: str, depth: int) -> list[Entry]:
        line = self.spend(node, depth)
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        entries: list[Entry] = []
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                self.issues.add("a << merge key takes a mapping or a list of mappings", path, line)
                continue
            entries.extend(self.entries(source, path, depth + 1))
        return entries
