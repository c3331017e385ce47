"""The ``workflows:`` section: each workflow's jobs and their options, shapes checked.

A workflow job is a job's name, or a one-key mapping ``{NAME: {requires, matrix,
filters}}``. What ``requires`` names and what filters match is checked when the
workflow is built (``expand``), once matrix instances and interpolation are known.
"""

from __future__ import annotations

import difflib

from ishcd.pipelines import schema
from ishcd.pipelines.issues import Issues, child, item
from ishcd.pipelines.schema import quote
from ishcd.pipelines.source import FilterSpec, MatrixSpec, Text, WorkflowJobSpec, WorkflowSpec
from ishcd.pipelines.yamlmap import Map, Node, Scalar

OPTION_KEYS = ("requires", "matrix", "filters")
FILTER_KINDS = ("branches", "tags")
_JOB_FORM = "a job name, or a mapping {JOB: {requires, matrix, filters}}"


def parse(node: Node, job_names: frozenset[str], issues: Issues) -> tuple[WorkflowSpec, ...]:
    """Every workflow that could be read, in declared order."""
    found = schema.mapping(node, "workflows", issues, what="a mapping of workflows")
    if found is None:
        return ()
    if not found.entries:
        issues.add("at least one workflow is needed", "workflows", found.line)
    workflows = []
    for entry in found.entries:
        path = child("workflows", entry.key)
        schema.name(entry.key, path, entry.key_line, issues, what="workflow")
        body = schema.mapping(entry.value, path, issues, keys=("jobs",), required=("jobs",))
        jobs_node = None if body is None else body.get("jobs")
        if jobs_node is None:
            continue
        jobs = _jobs(jobs_node, child(path, "jobs"), job_names, issues)
        workflows.append(WorkflowSpec(entry.key, jobs, path, entry.value.line))
    return tuple(workflows)


def _jobs(
    node: Node, path: str, job_names: frozenset[str], issues: Issues
) -> tuple[WorkflowJobSpec, ...]:
    listed = schema.sequence(node, path, issues, what="a list of jobs")
    if listed is None:
        return ()
    if not listed.items:
        issues.add("at least one job is needed", path, listed.line)
    jobs = []
    for index, job_node in enumerate(listed.items):
        job = _job(job_node, item(path, index), job_names, issues)
        if job is not None:
            jobs.append(job)
    return tuple(jobs)


def _job(
    node: Node, path: str, job_names: frozenset[str], issues: Issues
) -> WorkflowJobSpec | None:
    if isinstance(node, Scalar) and isinstance(node.value, str):
        name, options, name_line = node.value, None, node.line
    elif isinstance(node, Map) and len(node.entries) == 1:
        entry = node.entries[0]
        name, options, name_line = entry.key, entry.value, entry.key_line
    else:
        schema.wrong_type(node, _JOB_FORM, path, issues)
        return None
    if name not in job_names:
        close = difflib.get_close_matches(name, sorted(job_names), n=1)
        guess = f" (did you mean {quote(close[0])}?)" if close else ""
        issues.add(f'unknown job {quote(name)}: not defined under "jobs"{guess}', path, name_line)
    if options is None or (isinstance(options, Scalar) and options.value is None):
        return WorkflowJobSpec(job=name, path=path, line=name_line)
    options_path = child(path, name)
    found = schema.mapping(
        options, options_path, issues, keys=OPTION_KEYS, what="a mapping of options"
    )
    if found is None:
        return WorkflowJobSpec(job=name, path=path, line=name_line)
    requires = found.get("requires")
    matrix = found.get("matrix")
    branches, tags = _filters(found.get("filters"), child(options_path, "filters"), issues)
    return WorkflowJobSpec(
        job=name,
        path=path,
        line=name_line,
        requires=_texts(requires, child(options_path, "requires"), issues, "a list of job names"),
        matrix=None if matrix is None else _matrix(matrix, child(options_path, "matrix"), issues),
        branches=branches,
        tags=tags,
    )


def _texts(node: Node | None, path: str, issues: Issues, what: str) -> tuple[Text, ...]:
    if node is None:
        return ()
    listed = schema.sequence(node, path, issues, what=what)
    if listed is None:
        return ()
    texts = (schema.text(value, item(path, i), issues) for i, value in enumerate(listed.items))
    return tuple(text for text in texts if text is not None)


def _matrix(node: Node, path: str, issues: Issues) -> MatrixSpec:
    # A matrix that cannot be read makes no instance (rather than one, unexpanded).
    broken = MatrixSpec((), path, node.line)
    found = schema.mapping(node, path, issues, keys=("parameters",), required=("parameters",))
    parameters_node = None if found is None else found.get("parameters")
    if parameters_node is None:
        return broken
    parameters_path = child(path, "parameters")
    parameters = schema.mapping(
        parameters_node, parameters_path, issues, what="a mapping of NAME: [values]"
    )
    if parameters is None:
        return broken
    if not parameters.entries:
        issues.add("a matrix needs at least one parameter", parameters_path, parameters.line)
        return broken
    declared = []
    for entry in parameters.entries:
        values_path = child(parameters_path, entry.key)
        schema.name(
            entry.key, values_path, entry.key_line, issues, what="matrix parameter", identifier=True
        )
        values = _matrix_values(entry.value, values_path, issues)
        if values is None:
            return broken
        declared.append((entry.key, values))
    return MatrixSpec(tuple(declared), path, node.line)


def _matrix_values(node: Node, path: str, issues: Issues) -> tuple[Text, ...] | None:
    listed = schema.sequence(node, path, issues, what="a list of values")
    if listed is None:
        return None
    if not listed.items:
        issues.add("a matrix parameter needs at least one value", path, listed.line)
        return None
    values = []
    for index, value in enumerate(listed.items):
        if not isinstance(value, Scalar) or value.value is None:
            schema.wrong_type(value, "a string, number or boolean", item(path, index), issues)
            return None
        # As written: 3.10 stays "3.10".
        values.append(Text(value.text, item(path, index), value.line))
    return tuple(values)


def _filters(node: Node | None, path: str, issues: Issues) -> tuple[FilterSpec, FilterSpec]:
    if node is None:
        return FilterSpec(), FilterSpec()
    found = schema.mapping(node, path, issues, keys=FILTER_KINDS, what="a mapping (branches, tags)")
    if found is None:
        return FilterSpec(), FilterSpec()
    branches, tags = (_filter(found.get(kind), child(path, kind), issues) for kind in FILTER_KINDS)
    return branches, tags


def _filter(node: Node | None, path: str, issues: Issues) -> FilterSpec:
    if node is None:
        return FilterSpec()
    found = schema.mapping(
        node, path, issues, keys=("only", "ignore"), what="a mapping (only, ignore)"
    )
    if found is None:
        return FilterSpec()
    if not found.entries:
        issues.add('expected "only" or "ignore" (or both)', path, found.line)
    only, ignore = (
        _patterns(found.get(key), child(path, key), issues) for key in ("only", "ignore")
    )
    return FilterSpec(only=only, ignore=ignore)


def _patterns(node: Node | None, path: str, issues: Issues) -> tuple[Text, ...]:
    if node is None:
        return ()
    if isinstance(node, Scalar) and isinstance(node.value, str):
        return (Text(node.value, path, node.line),)
    patterns = _texts(node, path, issues, "a pattern or a list of patterns")
    if isinstance(node, Scalar | Map) or node.items:
        return patterns
    issues.add("at least one pattern is needed", path, node.line)
    return ()
