"""The graph of a workflow's jobs, each requiring others: order, cycles, dependents.

Pure graph functions on job names; iterative, so a long chain of jobs cannot exhaust
the stack. ``requires[a]`` lists what ``a`` requires; every name in it is a node.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence


def order(
    nodes: Sequence[str], requires: Mapping[str, Sequence[str]]
) -> tuple[list[str], list[list[str]]]:
    """The nodes, each after what it requires, and the cycles that keep the rest out.

    Stable: where the order is free, nodes keep their order in ``nodes``. A cycle is
    given as the path that closes it, ``["a", "b", "a"]``: a requires b requires a.
    """
    position = {node: index for index, node in enumerate(nodes)}
    waiting_on = {node: len(set(requires.get(node, ()))) for node in nodes}
    dependents: dict[str, list[str]] = {node: [] for node in nodes}
    for node in nodes:
        for required in set(requires.get(node, ())):
            dependents[required].append(node)
    ready = [position[node] for node in nodes if waiting_on[node] == 0]
    heapq.heapify(ready)
    ordered: list[str] = []
    while ready:
        node = nodes[heapq.heappop(ready)]
        ordered.append(node)
        for dependent in dependents[node]:
            waiting_on[dependent] -= 1
            if waiting_on[dependent] == 0:
                heapq.heappush(ready, position[dependent])
    if len(ordered) == len(nodes):
        return ordered, []
    placed = set(ordered)
    return ordered, _cycles([n for n in nodes if n not in placed], requires)


def _cycles(remaining: list[str], requires: Mapping[str, Sequence[str]]) -> list[list[str]]:
    # Every node left waits on another node left: walking "requires" from any of them
    # must come back to a node already on the walk, which closes a cycle.
    left = set(remaining)
    seen: set[str] = set()
    cycles = []
    for start in remaining:
        if start in seen:
            continue
        walk: list[str] = []
        on_walk: dict[str, int] = {}
        node = start
        while node not in on_walk and node not in seen:
            on_walk[node] = len(walk)
            walk.append(node)
            node = next(r for r in requires[node] if r in left)
        if node in on_walk:
            cycles.append([*walk[on_walk[node] :], node])
        seen.update(walk)
    return cycles


def dependents(
    roots: set[str], nodes: Sequence[str], requires: Mapping[str, Sequence[str]]
) -> set[str]:
    """``roots`` and every node that requires one of them, directly or not."""
    required_by: dict[str, list[str]] = {node: [] for node in nodes}
    for node in nodes:
        for required in requires.get(node, ()):
            required_by[required].append(node)
    found = set(roots)
    todo = list(roots)
    while todo:
        for dependent in required_by.get(todo.pop(), ()):
            if dependent not in found:
                found.add(dependent)
                todo.append(dependent)
    return found
