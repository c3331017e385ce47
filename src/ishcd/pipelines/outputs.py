"""A run job's ``artifacts``, ``cache`` and ``test_reports``: what its runs leave behind.

The shapes and checks are those of stored jobs (``ishcd.outputs_config``); here they
are read from YAML nodes, and each problem gets the config path and line it is at.
Their strings are taken as written: no ``<< … >>`` interpolation (a cache key's
``{{ … }}`` templates are the runner's, filled in when the run saves or restores).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ishcd import outputs_config
from ishcd.outputs import Outputs
from ishcd.pipelines.issues import Issues, child, item
from ishcd.pipelines.yamlmap import Map, Node, Scalar, Seq

KEYS = ("artifacts", "cache", "test_reports")


def parse(found: Map, path: str, issues: Issues) -> Outputs:
    """The job's outputs (the keys it has of ``KEYS``); problems go to ``issues``."""
    checks: dict[str, Callable[[Any], Any]] = {
        "artifacts": outputs_config.artifacts,
        "cache": outputs_config.cache,
        "test_reports": outputs_config.test_reports,
    }
    checked: dict[str, Any] = {}
    for key, check in checks.items():
        node = found.get(key)
        if node is None:
            continue
        try:
            checked[key] = check(plain(node))
        except outputs_config.OutputsInvalid as exc:
            for problem in exc.problems:
                where, line = _locate(node, child(path, key), problem.where)
                issues.add(problem.message, where, line)
    return Outputs(**checked)


def plain(node: Node) -> Any:
    """The node as plain values: lists, dicts, and scalars as YAML reads them."""
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Seq):
        return [plain(one) for one in node.items]
    return {entry.key: plain(entry.value) for entry in node.entries}


def _locate(node: Node, path: str, where: outputs_config.Where) -> tuple[str, int]:
    """The config path of ``where`` below ``node`` (at ``path``), and the line of the
    deepest node on the way (a mapping's entry: its key's line)."""
    line = node.line
    for part in where:
        if isinstance(part, int):
            path = item(path, part)
            if isinstance(node, Seq) and part < len(node.items):
                node = node.items[part]
                line = node.line
        else:
            path = child(path, part)
            entry = node.entry(part) if isinstance(node, Map) else None
            if entry is not None:
                node = entry.value
                line = entry.key_line
    return path, line
