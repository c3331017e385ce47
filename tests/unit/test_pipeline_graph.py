"""The layout of a workflow's graph: columns by depth, matrix boxes, edges, order."""

from __future__ import annotations

from ishcd.web import pipeline_graph
from ishcd.web.pipeline_graph import GraphJob, layout


def job(
    name: str, *requires: str, status: str = "queued", source: str | None = None, **matrix: str
) -> GraphJob:
    return GraphJob(
        name=name,
        source=source or name,
        type="run",
        status=status,
        error_reason=None,
        requires=requires,
        matrix=matrix,
    )


def columns(graph: pipeline_graph.Graph) -> list[list[str]]:
    found: dict[int, list[str]] = {}
    for box in graph.boxes:
        found.setdefault(box.column, []).append(box.key)
    return [found[n] for n in sorted(found)]


def test_a_chain_is_one_column_per_job_left_to_right() -> None:
    graph = layout([job("build"), job("test", "build"), job("deploy", "test")])
    assert columns(graph) == [["build"], ["test"], ["deploy"]]
    xs = [box.x for box in graph.boxes]
    assert xs == sorted(xs)
    assert len(set(xs)) == 3
    assert [(e.source, e.target) for e in graph.edges] == [("build", "test"), ("test", "deploy")]
    assert graph.width == max(box.x + box.width for box in graph.boxes) + pipeline_graph.MARGIN


def test_a_job_sits_one_column_past_the_deepest_job_it_requires() -> None:
    graph = layout([job("a"), job("b", "a"), job("c", "a"), job("d", "b", "c"), job("e", "a", "d")])
    assert columns(graph) == [["a"], ["b", "c"], ["d"], ["e"]]
    edges = {(e.source, e.target) for e in graph.edges}
    assert edges == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("a", "e"), ("d", "e")}


def test_matrix_instances_share_one_box_that_lists_them() -> None:
    graph = layout(
        [
            job("build", status="complete"),
            job("test-shbash", "build", source="test", status="complete", sh="bash"),
            job("test-shdash", "build", source="test", status="error", sh="dash"),
            job("package", "test-shbash"),
        ]
    )
    assert columns(graph) == [["build"], ["test"], ["package"]]
    box = graph.boxes[1]
    assert box.matrix
    assert [row.job.name for row in box.rows] == ["test-shbash", "test-shdash"]
    assert [row.label for row in box.rows] == ["bash", "dash"]
    assert box.height == pipeline_graph.HEADER_HEIGHT + 2 * pipeline_graph.ROW_HEIGHT + 6
    assert box.rows[1].y == box.rows[0].y + pipeline_graph.ROW_HEIGHT
    assert box.width == pipeline_graph.MATRIX_WIDTH  # wider: values beside statuses
    assert graph.boxes[2].x == box.x + box.width + pipeline_graph.COLUMN_GAP
    assert box.status == "error"  # the most pressing of its jobs'
    # An edge from the box, whichever instance is required.
    assert [(e.source, e.target, e.status) for e in graph.edges] == [
        ("build", "test", "complete"),
        ("test", "package", "error"),
    ]


def test_boxes_sit_under_what_they_require() -> None:
    graph = layout([job("a1"), job("a2"), job("b2", "a2"), job("b1", "a1")])
    assert columns(graph) == [["a1", "a2"], ["b1", "b2"]]
    boxes = {box.key: box for box in graph.boxes}
    assert boxes["b1"].y < boxes["b2"].y


def test_a_short_column_is_centred_and_edges_join_box_sides() -> None:
    graph = layout([job("a"), job("b"), job("c", "a", "b")])
    boxes = {box.key: box for box in graph.boxes}
    assert boxes["c"].y > boxes["a"].y
    assert boxes["c"].y + boxes["c"].height < boxes["b"].y + boxes["b"].height
    edge = graph.edges[0]
    start = f"M{boxes['a'].x + boxes['a'].width},{boxes['a'].y + boxes['a'].height // 2}"
    assert edge.path.startswith(start)
    assert edge.path.endswith(f"{boxes['c'].x},{boxes['c'].y + boxes['c'].height // 2}")


def test_a_long_name_is_cut_to_fit_and_kept_whole_in_the_title() -> None:
    name = "deploy-to-the-production-cluster-in-europe"
    graph = layout([job(name)])
    box = graph.boxes[0]
    assert box.title == name
    assert len(box.label) == pipeline_graph.LABEL_CHARS
    assert box.label.endswith("…")


def test_the_summary_of_statuses() -> None:
    assert pipeline_graph.summary(["complete", "complete"]) == "complete"
    assert pipeline_graph.summary(["complete", "queued"]) == "queued"
    assert pipeline_graph.summary(["queued", "running"]) == "running"
    assert pipeline_graph.summary(["running", "on_hold"]) == "on_hold"
    assert pipeline_graph.summary(["on_hold", "error"]) == "error"


def test_no_jobs_no_boxes() -> None:
    graph = layout([])
    assert graph.boxes == ()
    assert graph.edges == ()
    assert graph.width == 2 * pipeline_graph.MARGIN


def test_a_cycle_or_an_unknown_requirement_still_lays_out() -> None:
    graph = layout([job("a", "b"), job("b", "a"), job("c", "nowhere")])
    assert {box.key for box in graph.boxes} == {"a", "b", "c"}
