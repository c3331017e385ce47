"""Promotions: follow-on pipelines, started by hand or automatically."""

from __future__ import annotations

import textwrap

import pytest

from ishcd.pipelines.compile import preview, validate
from ishcd.pipelines.model import Promotion

HEAD = """\
version: 1
jobs:
  build: {steps: [run: make]}
workflows:
  main: {jobs: [build]}
promotions:
"""


def promotions(body: str) -> tuple[Promotion, ...]:
    return preview(HEAD + textwrap.dedent(body)).promotions


def errors(body: str) -> list[tuple[str, int | None, str]]:
    return [(e.path, e.line, e.message) for e in validate(HEAD + textwrap.dedent(body))]


def test_promotions_by_hand_and_automatic() -> None:
    found = promotions(
        """\
        - name: staging
          pipeline_file: .ishcd/staging.yml
        - name: production
          pipeline_file: .ishcd/deploy.yml
          auto_promote: {when: {branch: main, result: passed}}
        - name: release
          pipeline_file: release.yml
          auto_promote:
            when: {branch: /release-.*/}
        """
    )
    assert found == (
        Promotion("staging", ".ishcd/staging.yml", None, None),
        Promotion("production", ".ishcd/deploy.yml", "main", "passed"),
        Promotion("release", "release.yml", "/release-.*/", None),
    )


def test_no_promotions_section_means_none() -> None:
    assert preview(HEAD.removesuffix("promotions:\n")).promotions == ()


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ("- {pipeline_file: a.yml}", "promotions[0].name", '"name" is required'),
        ("- {name: prod}", "promotions[0].pipeline_file", '"pipeline_file" is required'),
        ("- {name: prod, pipeline_file: a.yml, auto: {}}", "promotions[0].auto", 'unknown key "auto" (did you mean "auto_promote"?)'),
        ("- {name: 'pro d', pipeline_file: a.yml}", "promotions[0].name", '"pro d" is not a valid promotion name: use letters, digits, _ and -, at most 100'),
        ("- {name: prod, pipeline_file: /etc/passwd}", "promotions[0].pipeline_file", '"/etc/passwd" is not a relative path in the repository (no leading /, no .., no \\)'),
        ("- {name: prod, pipeline_file: ../other/x.yml}", "promotions[0].pipeline_file", '"../other/x.yml" is not a relative path in the repository (no leading /, no .., no \\)'),
        ("- {name: prod, pipeline_file: a/../../x.yml}", "promotions[0].pipeline_file", '"a/../../x.yml" is not a relative path in the repository (no leading /, no .., no \\)'),
        ("- {name: prod, pipeline_file: 'dir/'}", "promotions[0].pipeline_file", '"dir/" is not a relative path in the repository (no leading /, no .., no \\)'),
        ("- {name: prod, pipeline_file: a.yml, auto_promote: {when: {result: failed}}}", "promotions[0].auto_promote.when.result", 'unknown result "failed": only "passed" is known'),
        ("- {name: prod, pipeline_file: a.yml, auto_promote: {when: {}}}", "promotions[0].auto_promote.when", 'expected "branch" or "result" (or both)'),
        ("- {name: prod, pipeline_file: a.yml, auto_promote: {when: {branch: /(/}}}", "promotions[0].auto_promote.when.branch", '"/(/" is not a valid regular expression: missing ), unterminated subpattern at position 0'),
        ("- {name: prod, pipeline_file: a.yml, auto_promote: {branch: main}}", "promotions[0].auto_promote.branch", 'unknown key "branch" (expected one of: when)'),
        ("- prod", "promotions[0]", "expected a mapping, got a string"),
        ("- {name: prod, pipeline_file: 'd-<< pipeline.number >>.yml'}", "promotions[0].pipeline_file", "pipeline_file cannot use << pipeline.number >>"),
    ],
)  # fmt: skip
def test_promotion_mistakes(body: str, path: str, message: str) -> None:
    assert errors(body)[0] == (path, 7, message)


def test_promotion_names_are_unique() -> None:
    found = errors(
        """\
        - {name: prod, pipeline_file: a.yml}
        - {name: prod, pipeline_file: b.yml}
        """
    )
    assert found == [("promotions[1].name", 8, 'two promotions are named "prod"')]


def test_promotions_are_a_list() -> None:
    text = HEAD.replace("promotions:\n", "promotions: {name: prod}\n")
    assert [(e.path, e.line, e.message) for e in validate(text)] == [
        ("promotions", 6, "expected a list of promotions, got a mapping")
    ]
