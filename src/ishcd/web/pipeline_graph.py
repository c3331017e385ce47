"""A workflow's jobs laid out as a graph, for the server to draw as SVG.

Pure: jobs in, boxes and edges with coordinates (SVG user units) out. Jobs sit in
columns by their depth in the DAG (a job's column is one past the deepest job it
requires); the instances of a matrix job share one box that lists them; an edge
runs from each box to each box that requires it. Boxes in a column are ordered by
where what they require sits, which keeps most edges from crossing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

BOX_WIDTH = 184
MATRIX_WIDTH = 250  # a matrix box lists its instances' values beside their statuses
COLUMN_GAP = 30
BOX_GAP = 18
MARGIN = 6
SINGLE_HEIGHT = 54
HEADER_HEIGHT = 30
ROW_HEIGHT = 24
MATRIX_CHARS = 20  # a matrix instance's values, beside its status
LABEL_CHARS = 22  # what fits on a box's line; longer names are cut (the title has all)
# A box sums up its jobs by the most pressing status among them.
_PRECEDENCE = ("error", "on_hold", "running", "queued", "complete")


@dataclass(frozen=True)
class GraphJob:
    """One job of a workflow, as the graph needs it."""

    name: str
    source: str  # the job under ``jobs:`` it comes from: matrix instances share it
    type: str  # run | approval
    status: str
    error_reason: str | None
    requires: tuple[str, ...]
    matrix: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None


@dataclass(frozen=True)
class Row:
    """A job inside a box: the whole box for a plain job, a line for a matrix instance."""

    job: GraphJob
    y: int  # its line's top (a matrix instance) or the box's top

    @property
    def label(self) -> str:
        """A matrix instance's values (``bash, 3.12``; the box names them), else the job's name."""
        if self.job.matrix:
            return clip(", ".join(self.job.matrix.values()), MATRIX_CHARS)
        return clip(self.job.name, LABEL_CHARS)


@dataclass(frozen=True)
class Box:
    key: str  # unique in the graph: a job's name, or a matrix job's source name
    title: str  # the full name
    label: str  # the name as it fits
    matrix: bool
    column: int
    x: int
    y: int
    width: int
    height: int
    rows: tuple[Row, ...]

    @property
    def status(self) -> str:
        return summary(row.job.status for row in self.rows)


@dataclass(frozen=True)
class Edge:
    source: str  # box keys
    target: str
    path: str  # SVG path data: a curve from the source's right side to the target's left
    status: str  # the source box's status


@dataclass(frozen=True)
class Graph:
    width: int
    height: int
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]


def summary(statuses: Iterable[str]) -> str:
    """The status a group of jobs shows: the first of error, on hold, running, queued
    that any of them has; complete when all are."""
    found = set(statuses)
    return next((status for status in _PRECEDENCE if status in found), "queued")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _groups(jobs: Sequence[GraphJob]) -> tuple[dict[str, list[GraphJob]], dict[str, str]]:
    """Jobs by box key (in the order they first appear), and each job's box key."""
    groups: dict[str, list[GraphJob]] = {}
    box_of: dict[str, str] = {}
    for job in jobs:
        key = job.source if job.matrix else job.name
        if key in groups and not (job.matrix and groups[key][0].matrix):
            key = job.name  # a plain job named like another's matrix: a box of its own
        groups.setdefault(key, []).append(job)
        box_of[job.name] = key
    return groups, box_of


def _depths(groups: dict[str, list[GraphJob]], needs: dict[str, set[str]]) -> dict[str, int]:
    depth: dict[str, int] = {}
    visiting: set[str] = set()

    def of(key: str) -> int:
        if key in depth:
            return depth[key]
        if key in visiting:  # a cycle cannot compile; stay finite if one comes anyway
            return 0
        visiting.add(key)
        found = 1 + max((of(need) for need in needs[key]), default=-1)
        visiting.discard(key)
        depth[key] = found
        return found

    for key in groups:
        of(key)
    return depth


def layout(jobs: Sequence[GraphJob]) -> Graph:
    """The graph of a workflow's ``jobs`` (in DAG order, as the API lists them)."""
    groups, box_of = _groups(jobs)
    needs = {
        key: {box_of[r] for job in members for r in job.requires if r in box_of} - {key}
        for key, members in groups.items()
    }
    depth = _depths(groups, needs)
    columns: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for key in groups:  # first appearance: DAG order
        columns[depth[key]].append(key)
    place: dict[str, float] = {}
    for column in columns:
        # Under what they require, on average; the first column keeps DAG order.
        for index, key in enumerate(column):
            place[key] = index
        column.sort(
            key=lambda k: (
                sum(place.get(n, 0) for n in needs[k]) / len(needs[k]) if needs[k] else place[k]
            )
        )
        for index, key in enumerate(column):
            place[key] = index
    heights = {key: _height(members) for key, members in groups.items()}
    column_heights = [
        sum(heights[k] for k in column) + BOX_GAP * (len(column) - 1) for column in columns
    ]
    tallest = max(column_heights, default=0)
    widths = [max(_width(groups[key]) for key in column) for column in columns]
    boxes: dict[str, Box] = {}
    x = MARGIN
    for number, column in enumerate(columns):
        y = MARGIN + (tallest - column_heights[number]) // 2
        for key in column:
            boxes[key] = _box(key, groups[key], number, x, y, widths[number], heights[key])
            y += heights[key] + BOX_GAP
        x += widths[number] + COLUMN_GAP
    edges = []
    for key in groups:
        target = boxes[key]
        for need in sorted(needs[key], key=lambda n: (boxes[n].column, boxes[n].y)):
            source = boxes[need]
            edges.append(Edge(need, key, _curve(source, target), source.status))
    width = MARGIN * 2 + sum(widths) + max(len(columns) - 1, 0) * COLUMN_GAP
    ordered = tuple(boxes[key] for column in columns for key in column)
    return Graph(width, tallest + MARGIN * 2, ordered, tuple(edges))


def _height(members: list[GraphJob]) -> int:
    if not members[0].matrix:
        return SINGLE_HEIGHT
    return HEADER_HEIGHT + ROW_HEIGHT * len(members) + 6


def _width(members: list[GraphJob]) -> int:
    return MATRIX_WIDTH if members[0].matrix else BOX_WIDTH


def _box(
    key: str, members: list[GraphJob], column: int, x: int, y: int, width: int, height: int
) -> Box:
    matrix = bool(members[0].matrix)
    if matrix:
        rows = tuple(Row(job, y + HEADER_HEIGHT + ROW_HEIGHT * i) for i, job in enumerate(members))
    else:
        rows = (Row(members[0], y),)
    title = key if matrix else members[0].name
    label = clip(title, LABEL_CHARS - 8 if matrix else LABEL_CHARS)
    return Box(key, title, label, matrix, column, x, y, width, height, rows)


def _curve(source: Box, target: Box) -> str:
    x1, y1 = source.x + source.width, source.y + source.height // 2
    x2, y2 = target.x, target.y + target.height // 2
    bend = COLUMN_GAP // 2
    return f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"
