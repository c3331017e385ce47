"""docs/pipeline-config.md: every YAML example compiled, every key the parser accepts named.

Each ```yaml block of the page is a whole ``.ishcd.yml``. The line right before
a block may mark it:

- ``<!-- invalid: .ishcd.yml:LINE: PATH: MESSAGE -->``: the block is invalid, and
  the first error ``validate`` finds, printed as ``ishcd config validate`` prints
  it, is exactly that line;
- ``<!-- fragment -->``: the block is only a part of a config; it is skipped
  (and such blocks must stay few).

Any other block must compile (``preview``) without an error. A ```text block
that starts with ``$ ishcd config validate`` shows what that command prints
for the ```yaml block before it, and must be what it prints.
"""

from __future__ import annotations

import contextlib
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer

from ishcd.cli import config as config_cli
from ishcd.cli.config import error_line
from ishcd.pipelines import interpolate, jobs, parse, source, workflows
from ishcd.pipelines.compile import preview, validate
from ishcd.pipelines.model import ConfigError, ConfigErrors

PAGE = Path(__file__).parents[2] / "docs" / "pipeline-config.md"
FILE = ".ishcd.yml"
FENCE = re.compile(r"```(\S*)\s*")
INVALID = re.compile(r"<!-- invalid: (.+) -->")
FRAGMENT = "<!-- fragment -->"
TRANSCRIPT = "$ ishcd config validate"
MAX_FRAGMENTS = 3


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    marker: str  # the line right before the opening fence

    @property
    def expected_error(self) -> str | None:
        found = INVALID.fullmatch(self.marker)
        return None if found is None else found.group(1)

    @property
    def fragment(self) -> bool:
        return self.marker == FRAGMENT


def read_blocks(page: str) -> list[Block]:
    """Every fenced block of ``page``, in order."""
    lines = page.splitlines()
    found = []
    index = 0
    while index < len(lines):
        opening = FENCE.fullmatch(lines[index])
        if opening is None:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        assert end < len(lines), f"the block at line {index + 1} is not closed"
        text = "".join(line + "\n" for line in lines[index + 1 : end])
        marker = lines[index - 1] if index > 0 else ""
        found.append(Block(index + 1, opening.group(1), text, marker))
        index = end + 1
    return found


TEXT = PAGE.read_text(encoding="utf-8")
BLOCKS = read_blocks(TEXT)
YAML = [block for block in BLOCKS if block.lang == "yaml"]
VALID = [b for b in YAML if b.expected_error is None and not b.fragment]
INVALID_BLOCKS = [b for b in YAML if b.expected_error is not None]
FRAGMENTS = [b for b in YAML if b.fragment]


def at(block: Block) -> str:
    return f"line {block.line}"


def shown(errors: list[ConfigError]) -> str:
    return "\n".join(error_line(FILE, error) for error in errors)


def test_the_page_has_its_examples_and_marks_them_as_it_should() -> None:
    assert len(VALID) >= 15
    assert len(INVALID_BLOCKS) >= 15
    assert len(FRAGMENTS) <= MAX_FRAGMENTS, "prefer whole small configs to fragments"
    assert not [b.line for b in BLOCKS if b.lang.lower() in ("yml", "yaml") and b.lang != "yaml"]
    # A marker that is not right before a ```yaml block would mark nothing.
    lines = TEXT.splitlines()
    for number, line in enumerate(lines, 1):
        if INVALID.fullmatch(line) or line == FRAGMENT:
            after = lines[number] if number < len(lines) else ""
            assert after == "```yaml", f"line {number}: a marker must be right before a ```yaml"
        elif line.startswith(("<!-- invalid", "<!-- fragment")):
            raise AssertionError(f"line {number}: a malformed marker: {line}")


@pytest.mark.parametrize("block", VALID, ids=at)
def test_a_valid_example_compiles(block: Block) -> None:
    try:
        plan = preview(block.text)
    except ConfigErrors as exc:
        raise AssertionError(
            f"the example at line {block.line} of the page does not compile:\n" + shown(exc.errors)
        ) from None
    assert plan.workflows


@pytest.mark.parametrize("block", INVALID_BLOCKS, ids=at)
def test_an_invalid_example_gives_the_error_it_shows(block: Block) -> None:
    errors = validate(block.text)
    assert errors, f"the example at line {block.line} of the page is valid"
    assert error_line(FILE, errors[0]) == block.expected_error, shown(errors)


def transcripts() -> list[tuple[Block, Block]]:
    """Each ``$ ishcd config validate`` block, with the config block before it."""
    pairs = []
    config = None
    for block in BLOCKS:
        if block.lang == "yaml":
            config = block
        elif block.lang == "text" and block.text.startswith(TRANSCRIPT + "\n"):
            assert config is not None, f"line {block.line}: no config before it"
            pairs.append((config, block))
    return pairs


TRANSCRIPTS = transcripts()


@pytest.mark.parametrize(("config", "transcript"), TRANSCRIPTS, ids=at)
def test_a_validate_transcript_is_what_the_command_prints(
    config: Block,
    transcript: Block,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / FILE).write_text(config.text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with contextlib.suppress(typer.Exit):
        config_cli.validate(Path(FILE))
    printed = capsys.readouterr()
    assert printed.err == ""
    assert TRANSCRIPT + "\n" + printed.out == transcript.text


def test_the_page_shows_both_kinds_of_transcript() -> None:
    assert {config.expected_error is None for config, _ in TRANSCRIPTS} == {True, False}


# Where each mapping of the config is, as a config whose mapping there has the
# key "zzz" (which is like no key): the parser's message for it lists the keys
# it accepts there.
PLACES = {
    "top level": "zzz: 1\n",
    "job": "jobs:\n  j: {steps: [run: x], zzz: 1}\n",
    "parameter": "parameters:\n  p: {type: string, zzz: 1}\n",
    "step": "jobs:\n  j: {steps: [{run: x, zzz: 1}]}\n",
    "step run": "jobs:\n  j: {steps: [run: {command: x, zzz: 1}]}\n",
    "retry": "jobs:\n  j: {steps: [run: x], retry: {count: 1, zzz: 1}}\n",
    "workflow": "workflows:\n  w: {jobs: [j], zzz: 1}\n",
    "workflow job": "workflows:\n  w: {jobs: [j: {zzz: 1}]}\n",
    "matrix": "workflows:\n  w: {jobs: [j: {matrix: {parameters: {v: [a]}, zzz: 1}}]}\n",
    "filters": "workflows:\n  w: {jobs: [j: {filters: {zzz: 1}}]}\n",
    "filter": "workflows:\n  w: {jobs: [j: {filters: {branches: {only: a, zzz: 1}}}]}\n",
    "promotion": "promotions: [{name: p, pipeline_file: a.yml, zzz: 1}]\n",
    "auto_promote": "promotions:\n"
    "  - {name: p, pipeline_file: a.yml, auto_promote: {when: {result: passed}, zzz: 1}}\n",
    "when": "promotions:\n"
    "  - {name: p, pipeline_file: a.yml, auto_promote: {when: {result: passed, zzz: 1}}}\n",
}
BASE = {
    "version": "version: 1\n",
    "jobs": "jobs:\n  j: {steps: [run: x]}\n",
    "workflows": "workflows:\n  w: {jobs: [j]}\n",
}
UNKNOWN = re.compile(r'unknown key "zzz" \(expected one of: (.*)\)')


def accepted_keys(place: str) -> set[str]:
    """The keys the parser accepts at ``place`` (one of ``PLACES``)."""
    section = PLACES[place]
    text = "".join(
        body for key, body in BASE.items() if not section.startswith(key + ":")
    ) + textwrap.dedent(section)
    messages = [error.message for error in validate(text)]
    for message in messages:
        found = UNKNOWN.fullmatch(message)
        if found is not None:
            return set(found.group(1).split(", "))
    raise AssertionError(f"no unknown-key message at {place}: {messages}")


def test_the_accepted_keys_read_from_messages_are_the_parsers() -> None:
    assert accepted_keys("top level") == set(parse.TOP_KEYS)
    assert accepted_keys("job") == set(jobs.RUN_KEYS)
    assert accepted_keys("workflow job") == set(workflows.OPTION_KEYS)
    assert accepted_keys("filters") == set(workflows.FILTER_KINDS)
    assert accepted_keys("promotion") == set(parse.PROMOTION_KEYS)
    assert set(jobs.APPROVAL_KEYS) <= set(jobs.RUN_KEYS)


def named(word: str) -> bool:
    """Whether the page names ``word`` as code: `word`, or at the end of `a.path.word`."""
    return re.search(rf"`(?:[\w-]+\.)*{re.escape(word)}`", TEXT) is not None


@pytest.mark.parametrize("place", PLACES)
def test_the_page_names_every_key_the_parser_accepts(place: str) -> None:
    missing = sorted(key for key in accepted_keys(place) if not named(key))
    assert not missing, f"keys accepted at {place} that the page does not name: {missing}"


def test_the_page_names_every_type_and_every_interpolated_name() -> None:
    words = [
        *source.PARAM_TYPES,
        "run",
        "approval",
        "pipeline.parameters.NAME",
        "pipeline.number",
        "matrix.NAME",
        *(f"pipeline.git.{name}" for name in interpolate.GIT_NAMES),
    ]
    assert [word for word in words if not named(word)] == []
