"""What a compiled pipeline config is: the plan the server executes.

A ``Plan`` is made for one trigger (``Context``): parameters resolved,
interpolation done, matrix jobs expanded, filters applied, each workflow's
jobs in an order where every job comes after what it requires.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

JobType = Literal["run", "approval"]
ParamValue = str | bool | int


@dataclass(frozen=True)
class Context:
    """What a trigger knows: interpolated as ``<< pipeline.* >>``."""

    number: int
    branch: str | None = None
    tag: str | None = None
    revision: str | None = None
    parameters: dict[str, object] = field(default_factory=dict)  # as sent, to be checked


@dataclass(frozen=True)
class ConfigError:
    """One problem in a config: what, where (a dotted path), on which line (1-based).

    ``trigger`` marks a problem with the trigger's parameter values rather than
    with the config itself (an unknown name, a wrong type, a missing value).
    """

    message: str
    path: str
    line: int | None = None
    trigger: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"message": self.message, "path": self.path, "line": self.line}


class ConfigErrors(Exception):
    """The config cannot be compiled; ``errors`` says every reason found."""

    def __init__(self, errors: list[ConfigError]):
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Step:
    name: str
    command: str


@dataclass(frozen=True)
class JobPlan:
    name: str  # unique in its workflow; a matrix instance's is e.g. "test-py3.11"
    job: str  # the name under ``jobs:`` it comes from
    type: JobType
    steps: tuple[Step, ...]
    environment: dict[str, str]
    timeout: int | None  # seconds; None: the server's default
    labels: tuple[str, ...]  # a runner must have all of them
    retry: int  # extra attempts after a failure
    retry_only_lost: bool  # retry only when the runner was lost
    concurrency: str | None  # at most one running job of the group per project
    requires: tuple[str, ...]  # names of jobs of the same workflow
    matrix: dict[str, str]  # this instance's matrix values
    # What its run leaves behind: ishcd.outputs.Outputs.to_json(); None: nothing.
    outputs: dict[str, Any] | None = None


@dataclass(frozen=True)
class WorkflowPlan:
    name: str
    jobs: tuple[JobPlan, ...]  # every job after the jobs it requires


@dataclass(frozen=True)
class Promotion:
    name: str
    pipeline_file: str  # a config file in the repository, e.g. ".ishcd/deploy.yml"
    auto_branch: str | None  # auto-promote when the pipeline's branch matches this filter
    auto_result: Literal["passed"] | None  # ... and its result is this


@dataclass(frozen=True)
class Plan:
    parameters: dict[str, ParamValue]  # every declared parameter, resolved
    workflows: tuple[WorkflowPlan, ...]
    promotions: tuple[Promotion, ...]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            parameters=dict(data["parameters"]),
            workflows=tuple(
                WorkflowPlan(name=w["name"], jobs=tuple(cls.job_from_json(j) for j in w["jobs"]))
                for w in data["workflows"]
            ),
            promotions=tuple(Promotion(**p) for p in data["promotions"]),
        )

    @staticmethod
    def job_to_json(job: JobPlan) -> dict[str, Any]:
        return asdict(job)

    @staticmethod
    def job_from_json(data: dict[str, Any]) -> JobPlan:
        return JobPlan(
            **{
                **data,
                "steps": tuple(Step(**s) for s in data["steps"]),
                "labels": tuple(data["labels"]),
                "requires": tuple(data["requires"]),
            }
        )
