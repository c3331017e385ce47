"""The config document as a whole: ``version``, the sections, and ``promotions``.

``parse`` checks every shape and reports every problem it finds; what it could read is
returned as a ``ConfigSpec`` for the later stages (parameters, interpolation, matrix,
requires, filters), which report their own problems.
"""

from __future__ import annotations

from typing import Literal

from ishcd.pipelines import jobs, params, schema, workflows
from ishcd.pipelines.issues import Issues, child, item
from ishcd.pipelines.schema import quote
from ishcd.pipelines.source import ConfigSpec, PromotionSpec, Text
from ishcd.pipelines.yamlmap import Map, Node, Scalar

VERSION = 1
TOP_KEYS = ("version", "parameters", "jobs", "workflows", "promotions")
PROMOTION_KEYS = ("name", "pipeline_file", "auto_promote")


def parse(root: Node, issues: Issues) -> ConfigSpec | None:
    """The config in ``root`` as far as it can be read; None if it is not a mapping."""
    top = schema.mapping(
        root,
        "",
        issues,
        keys=TOP_KEYS,
        required=("jobs", "workflows"),
        what="a mapping (version, parameters, jobs, workflows, promotions)",
    )
    if top is None:
        return None
    _version(top, issues)
    jobs_node = top.get("jobs")
    job_specs, job_names = ({}, frozenset()) if jobs_node is None else jobs.parse(jobs_node, issues)
    workflows_node = top.get("workflows")
    return ConfigSpec(
        parameters=params.parse(top.get("parameters"), issues),
        jobs=job_specs,
        job_names=job_names,
        workflows=()
        if workflows_node is None
        else workflows.parse(workflows_node, job_names, issues),
        promotions=_promotions(top.get("promotions"), issues),
    )


def _version(top: Map, issues: Issues) -> None:
    node = top.get("version")
    if node is None:
        issues.add(f'"version" is required: write version: {VERSION}', "version", top.line)
        return
    value = node.value if isinstance(node, Scalar) else None
    if type(value) is not int or value != VERSION:  # not True, not 1.0
        shown = quote(node.text) if isinstance(node, Scalar) else schema.kind(node)
        hint = f" (write {VERSION}, a number)" if isinstance(value, str) else ""
        issues.add(
            f"unsupported version {shown}: only version {VERSION} is known{hint}",
            "version",
            node.line,
        )


def _promotions(node: Node | None, issues: Issues) -> tuple[PromotionSpec, ...]:
    if node is None:
        return ()
    listed = schema.sequence(node, "promotions", issues, what="a list of promotions")
    if listed is None:
        return ()
    promotions: list[PromotionSpec] = []
    for index, promotion_node in enumerate(listed.items):
        promotion = _promotion(promotion_node, item("promotions", index), issues)
        if promotion is None:
            continue
        if any(p.name == promotion.name for p in promotions):
            issues.add(
                f"two promotions are named {quote(promotion.name)}",
                child(promotion.path, "name"),
                promotion.line,
            )
            continue
        promotions.append(promotion)
    return tuple(promotions)


def _promotion(node: Node, path: str, issues: Issues) -> PromotionSpec | None:
    found = schema.mapping(
        node, path, issues, keys=PROMOTION_KEYS, required=("name", "pipeline_file")
    )
    if found is None:
        return None
    name_node = found.get("name")
    file_node = found.get("pipeline_file")
    name = None if name_node is None else schema.string(name_node, child(path, "name"), issues)
    if name is not None and name_node is not None:
        schema.name(name, child(path, "name"), name_node.line, issues, what="promotion")
    pipeline_file = (
        None if file_node is None else schema.text(file_node, child(path, "pipeline_file"), issues)
    )
    auto = found.get("auto_promote")
    auto_branch, auto_result = (
        (None, None) if auto is None else _auto_promote(auto, child(path, "auto_promote"), issues)
    )
    if name is None or pipeline_file is None:
        return None
    return PromotionSpec(name, pipeline_file, auto_branch, auto_result, path, found.line)


def _auto_promote(
    node: Node, path: str, issues: Issues
) -> tuple[Text | None, Literal["passed"] | None]:
    found = schema.mapping(node, path, issues, keys=("when",), required=("when",))
    when = None if found is None else found.get("when")
    if when is None:
        return None, None
    when_path = child(path, "when")
    conditions = schema.mapping(when, when_path, issues, keys=("branch", "result"))
    if conditions is None:
        return None, None
    if not conditions.entries:
        issues.add('expected "branch" or "result" (or both)', when_path, conditions.line)
    branch_node = conditions.get("branch")
    result_node = conditions.get("result")
    branch = (
        None
        if branch_node is None
        else schema.text(branch_node, child(when_path, "branch"), issues)
    )
    if result_node is None:
        return branch, None
    result = schema.string(result_node, child(when_path, "result"), issues)
    if result != "passed":
        if result is not None:
            issues.add(
                f'unknown result {quote(result)}: only "passed" is known',
                child(when_path, "result"),
                result_node.line,
            )
        return branch, None
    return branch, "passed"
