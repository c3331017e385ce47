"""Badge images: sized to their words, escaped, valid XML; every status has a word."""

from __future__ import annotations

from typing import get_args
from xml.etree import ElementTree

import pytest

from ishcd import badge_svg
from ishcd.api.schemas.pipelines import PipelineStatus
from ishcd.services import badges, pipeline_state, run_state, workflows

NS = "{http://www.w3.org/2000/svg}"


def boxes(svg: str) -> list[int]:
    """The widths of the label's and the status's boxes."""
    root = ElementTree.fromstring(svg)
    rects = root.findall(f"{NS}g/{NS}rect")
    return [int(rect.get("width", "0")) for rect in rects[:2]]


def test_widths_follow_verdana_as_shields_io_measures_it() -> None:
    # Within a pixel of shields.io's own "build | passing" (27 and 41 px of text, 88 in
    # all): widths are rounded up, so a word never overflows its box.
    assert badge_svg.text_width("build") == 27
    assert badge_svg.text_width("passing") == 42
    svg = badge_svg.render("build", badge_svg.PASSING)
    assert boxes(svg) == [37, 52]
    assert ElementTree.fromstring(svg).get("width") == "89"


def test_wide_letters_take_more_room_than_narrow_ones() -> None:
    assert badge_svg.text_width("WWWW") > badge_svg.text_width("iiii") * 3
    assert badge_svg.text_width("é") == badge_svg.text_width("0")  # the default width
    assert badge_svg.text_width("構築") == 22  # a full em each
    assert badge_svg.text_width("e\u0301") == badge_svg.text_width("e")  # a combining accent


@pytest.mark.parametrize("status", [*badge_svg.COLOURS, "something new"])
def test_each_status_has_its_colour_and_the_text_fits_its_box(status: str) -> None:
    svg = badge_svg.render("build", status)
    root = ElementTree.fromstring(svg)
    fill = root.findall(f"{NS}g/{NS}rect")[1].get("fill")
    assert fill == badge_svg.COLOURS.get(status, badge_svg.COLOURS[badge_svg.UNKNOWN])
    texts = root.findall(f"{NS}g/{NS}text")
    for text, box in zip(texts[::2], boxes(svg), strict=True):
        assert int(text.get("textLength", "0")) == (box - badge_svg.PADDING) * 10


def test_text_is_escaped_and_what_xml_cannot_hold_is_dropped() -> None:
    label = "<a href='x'>\"&\x00\x1b\ud800\tb\n"
    svg = badge_svg.render(label, badge_svg.FAILING)
    assert "<a" not in svg
    root = ElementTree.fromstring(svg)  # well-formed
    title = root.find(f"{NS}title")
    assert title is not None
    assert title.text == "<a href='x'>\"& b: failing"
    assert root.get("aria-label") == "<a href='x'>\"& b: failing"


def test_long_labels_are_cut_and_blank_ones_say_build() -> None:
    assert badge_svg.clean("x" * 100) == "x" * 63 + "…"
    assert badge_svg.clean("  two\n\nlines ") == "two lines"
    assert "build: unknown" in badge_svg.render(" \n", badge_svg.UNKNOWN)


def test_every_status_of_pipelines_workflows_and_runs_has_a_badge_word() -> None:
    words = set(badge_svg.COLOURS)
    pipeline_statuses = set(get_args(PipelineStatus))
    assert set(badges.PIPELINE_STATUS) == pipeline_statuses
    assert pipeline_statuses == {
        pipeline_state.QUEUED,
        pipeline_state.RUNNING,
        pipeline_state.ON_HOLD,
        pipeline_state.COMPLETE,
        pipeline_state.ERROR,
    }
    workflow_statuses = {
        workflows.QUEUED,
        workflows.RUNNING,
        workflows.ON_HOLD,
        workflows.COMPLETE,
        workflows.ERROR,
    }
    assert set(badges.WORKFLOW_STATUS) == workflow_statuses
    assert set(badges.RUN_STATUS) == set(run_state.STATUSES)
    for table in (badges.PIPELINE_STATUS, badges.WORKFLOW_STATUS, badges.RUN_STATUS):
        assert set(table.values()) <= words
        assert table["complete"] == badge_svg.PASSING
        assert table["error"] == badge_svg.FAILING
        assert table["running"] == table["queued"] == badge_svg.RUNNING
