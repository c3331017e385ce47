"""How a job's steps become its run's bash script."""

from __future__ import annotations

import subprocess

from ishcd.pipelines.model import JobPlan, Step
from ishcd.services.workflows import script_of


def plan(*commands: str) -> JobPlan:
    steps = tuple(Step(name=f"s{i}", command=c) for i, c in enumerate(commands, 1))
    return JobPlan(
        name="j",
        job="j",
        type="run",
        steps=steps,
        environment={},
        timeout=None,
        labels=(),
        retry=0,
        retry_only_lost=False,
        concurrency=None,
        requires=(),
        matrix={},
    )


def run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        check=False,
    )


def test_each_step_is_announced_and_runs_in_its_own_subshell() -> None:
    done = run(script_of(plan("cd /; X=1; echo $X", 'echo "${X:-unset} $PWD"')))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[ishcd] step 1/2: s1\n1\n[ishcd] step 2/2: s2\nunset " + (
        subprocess.run(["pwd"], capture_output=True, text=True, check=True).stdout
    )


def test_a_failing_step_ends_the_script_with_its_status() -> None:
    done = run(script_of(plan("echo one; exit 3", "echo never")))
    assert done.returncode == 3
    assert "never" not in done.stdout


def test_a_step_of_comments_only_does_nothing() -> None:
    done = run(script_of(plan("# todo", "  # later\n", "echo ok")))
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("[ishcd] step 3/3: s3\nok\n")
