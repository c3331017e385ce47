"""The config as written, once its shape is checked: before parameters, interpolation, matrix.

Strings that may hold ``<< … >>`` are kept as ``Text``, which remembers its path and line
so that interpolation can say where an unknown name is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ishcd.outputs import Outputs
from ishcd.pipelines.model import JobType, ParamValue

ParamType = Literal["string", "boolean", "integer", "enum"]
PARAM_TYPES: tuple[ParamType, ...] = ("string", "boolean", "integer", "enum")


@dataclass(frozen=True)
class Text:
    """A string of the config, with where it was written."""

    value: str
    path: str
    line: int


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: ParamType
    default: ParamValue | None  # None: the trigger must give a value
    values: tuple[str, ...]  # an enum's values
    description: str | None
    path: str
    line: int


@dataclass(frozen=True)
class StepSpec:
    name: Text | None  # None: the command's first line
    command: Text


@dataclass(frozen=True)
class JobSpec:
    name: str
    type: JobType
    path: str
    line: int
    steps: tuple[StepSpec, ...] = ()
    environment: tuple[tuple[str, Text], ...] = ()
    timeout: int | None = None
    labels: tuple[Text, ...] = ()
    retry: int = 0
    retry_only_lost: bool = False
    concurrency: Text | None = None
    outputs: Outputs = field(default_factory=Outputs)  # artifacts, cache, test_reports


@dataclass(frozen=True)
class FilterSpec:
    """Patterns for one kind of ref (branches or tags); empty ``only``: no restriction."""

    only: tuple[Text, ...] = ()
    ignore: tuple[Text, ...] = ()


@dataclass(frozen=True)
class MatrixSpec:
    parameters: tuple[tuple[str, tuple[Text, ...]], ...]  # name → values, as declared
    path: str
    line: int


@dataclass(frozen=True)
class WorkflowJobSpec:
    job: str  # a name under ``jobs:`` (maybe not one: then already reported)
    path: str  # e.g. "workflows.main.jobs[1]"
    line: int
    requires: tuple[Text, ...] = ()
    matrix: MatrixSpec | None = None
    branches: FilterSpec = field(default_factory=FilterSpec)
    tags: FilterSpec = field(default_factory=FilterSpec)


@dataclass(frozen=True)
class WorkflowSpec:
    name: str
    jobs: tuple[WorkflowJobSpec, ...]
    path: str
    line: int


@dataclass(frozen=True)
class PromotionSpec:
    name: str
    pipeline_file: Text
    auto_branch: Text | None
    auto_result: Literal["passed"] | None
    path: str
    line: int


@dataclass(frozen=True)
class ConfigSpec:
    parameters: tuple[ParamSpec, ...]
    jobs: dict[str, JobSpec]  # every job whose definition could be read, by name
    job_names: frozenset[str]  # every name under ``jobs:``, readable or not
    workflows: tuple[WorkflowSpec, ...]
    promotions: tuple[PromotionSpec, ...]
