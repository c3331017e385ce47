"""``<< pipeline.parameters.NAME >>`` and friends: putting trigger values into strings.

Names: ``pipeline.parameters.NAME``, ``pipeline.git.branch``, ``pipeline.git.tag``,
``pipeline.git.revision``, ``pipeline.number`` and ``matrix.NAME``; spaces inside the
brackets are optional. ``\\<<`` is a literal ``<<`` (for a shell heredoc that appends,
``cat \\<<EOF >> file``). Values are put in once: a value holding ``<<`` is not expanded
again. Everything expanded counts against a ``Budget``, so that no config and trigger
can make a plan too big to hold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ishcd.pipelines import params
from ishcd.pipelines.issues import Issues
from ishcd.pipelines.model import Context, ParamValue
from ishcd.pipelines.schema import quote
from ishcd.pipelines.source import Text

MAX_PLAN_CHARS = 32 * 1024 * 1024
REFERENCE = re.compile(r"\\<<|<<\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\s*>>")
GIT_NAMES = ("branch", "tag", "revision")
KNOWN = (
    "pipeline.parameters.NAME, pipeline.git.branch, pipeline.git.tag, "
    "pipeline.git.revision, pipeline.number or matrix.NAME"
)


class PlanTooBig(Exception):
    """The strings of the plan, interpolated, pass ``MAX_PLAN_CHARS``."""

    def __init__(self, text: Text):
        super().__init__(
            f"the pipeline is too big once interpolated: over {MAX_PLAN_CHARS} characters"
        )
        self.message = str(self)
        self.text = text


@dataclass
class Budget:
    """How many characters interpolation may still produce for this plan."""

    remaining: int = MAX_PLAN_CHARS

    def spend(self, count: int, text: Text) -> None:
        self.remaining -= count
        if self.remaining < 0:
            raise PlanTooBig(text)


@dataclass(frozen=True)
class Scope:
    """What names mean at one place of the config.

    ``matrix`` is None where matrix values do not exist (filters, promotions), or the
    values of one matrix instance (empty for a job not run as a matrix), described for
    messages by ``matrix_owner`` (e.g. ``job "test" in workflow "main"``). A job that no
    workflow runs is checked with ``any_matrix``: its matrix names cannot be known.
    """

    pipeline: Mapping[str, str]
    budget: Budget = field(default_factory=Budget)
    matrix: Mapping[str, str] | None = None
    matrix_owner: str = ""
    any_matrix: bool = False

    def with_matrix(self, values: Mapping[str, str], owner: str) -> Scope:
        """This scope for one job: its matrix values (maybe none), and who has them."""
        return Scope(self.pipeline, self.budget, values, owner)

    def for_any_matrix(self) -> Scope:
        """This scope for a job no workflow runs."""
        return Scope(self.pipeline, self.budget, {}, "", any_matrix=True)


def pipeline_values(
    context: Context, parameters: Mapping[str, ParamValue], *, offline: bool = False
) -> dict[str, str]:
    """The ``pipeline.*`` names and their text for a trigger.

    ``offline`` (no trigger): git values are placeholders ("branch", "tag", a revision).
    """
    values = {f"pipeline.parameters.{name}": params.text_of(v) for name, v in parameters.items()}
    values["pipeline.number"] = str(context.number)
    git: dict[str, str | None]
    if offline:
        git = {"branch": "branch", "tag": "tag", "revision": "0" * 40}
    else:
        git = {"branch": context.branch, "tag": context.tag, "revision": context.revision}
    for name in GIT_NAMES:
        values[f"pipeline.git.{name}"] = git[name] or ""
    return values


def expand(text: Text, scope: Scope, issues: Issues) -> str:
    """``text`` with its names replaced; an unknown name is reported and becomes ``""``."""
    return _expand(text, scope, issues)[0]


def expand_known(text: Text, scope: Scope, issues: Issues) -> str | None:
    """``text`` with its names replaced, or None if one is unknown (and reported).

    For values checked once interpolated: a value with an unknown name is not checked,
    so that one mistake is told once.
    """
    result, ok = _expand(text, scope, issues)
    return result if ok else None


def _expand(text: Text, scope: Scope, issues: Issues) -> tuple[str, bool]:
    unknown = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1)
        if name is None:  # \<<
            return "<<"
        found = _lookup(name, text, scope, issues)
        unknown = unknown or found is None
        return found or ""

    result = REFERENCE.sub(replace, text.value) if "<<" in text.value else text.value
    scope.budget.spend(len(result), text)
    return result, not unknown


def _lookup(name: str, text: Text, scope: Scope, issues: Issues) -> str | None:
    found = scope.pipeline.get(name)
    if found is not None:
        return found
    problem: str
    if name.startswith("matrix.") and name.count(".") == 1:
        key = name.removeprefix("matrix.")
        if scope.any_matrix:
            return key  # a stand-in: what the value is cannot be known
        if scope.matrix is None:
            problem = (
                f"{quote(name)} cannot be used here: matrix values exist only in a job's "
                "steps, environment, labels and concurrency, and in requires"
            )
        elif key in scope.matrix:
            return scope.matrix[key]
        else:
            problem = (
                f"unknown name {quote(name)}: {scope.matrix_owner} "
                f"has no matrix parameter {quote(key)}"
            )
    elif name.startswith("pipeline.parameters.") and name.count(".") == 2:
        key = name.removeprefix("pipeline.parameters.")
        problem = f"unknown name {quote(name)}: no parameter {quote(key)} is declared"
    else:
        problem = f"unknown name {quote(name)}: expected {KNOWN} (write \\<< for a literal <<)"
    issues.add(problem, text.path, text.line, once=("name", name))
    return None
