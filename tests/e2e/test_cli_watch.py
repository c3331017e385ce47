"""``ishcd pipeline watch|logs`` and the ``--wait`` of trigger and approve, as processes.

One server for the module. Pipelines come from a local git repository (the
project's ``repository``) or from ``--config FILE``. Output is piped here, so
the live view is one line per change: checks never depend on a terminal's width.
"""

from __future__ import annotations

import itertools
import os
import pty
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ishcd.client import Client
from tests.api.test_pipeline_git import Repo
from tests.e2e.conftest import ISHCD, LiveServer, free_port

ID = r"[0-9a-f-]{36}"
TIMEOUT = 60
NAMES = itertools.count(1)
CHANGE = re.compile(r"\d\d:\d\d:\d\d (\S+) (.+)")
FAILING = """\
version: 1
jobs:
  build: {steps: [{run: 'echo compiled'}]}
  test:
    steps:
      - run: |
          for i in 1 2 3 4 5 6; do echo "check $i ok"; done
          echo "check 7 FAILED: expected 2, got 3"
          exit 3
  deploy: {steps: [{run: echo deployed}]}
workflows:
  main:
    jobs: [build, {test: {requires: [build]}}, {deploy: {requires: [test]}}]
"""
HELD = """\
version: 1
jobs:
  build: {steps: [{run: echo built}]}
  hold: {type: approval}
  package: {steps: [{run: echo packaged}]}
promotions:
  - name: deploy
    pipeline_file: .ishcd/deploy.yml
    auto_promote:
      when: {branch: main}
workflows:
  main:
    jobs: [build, {hold: {requires: [build]}}, {package: {requires: [hold]}}]
"""
DEPLOY = """\
version: 1
jobs:
  deploy: {steps: [{run: echo deploying}]}
workflows:
  deploy: {jobs: [deploy]}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    made = LiveServer(data_dir=tmp_path_factory.mktemp("cli-watch") / "data", port=free_port())
    made.start()
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture
def client(server: LiveServer) -> Iterator[Client]:
    with Client(server.token, host=server.url) as made:
        yield made


def project_with(client: Client, tmp_path: Path, files: dict[str, str]) -> str:
    """A new project whose repository (a local git repo) holds ``files`` on ``main``."""
    repo = Repo(tmp_path / "repo")
    repo.push(files)
    return client.projects().create(f"w{next(NAMES)}", repository=str(repo.origin)).machine_name


def changes(stdout: str) -> list[tuple[str, str]]:
    """The live view's lines, ``12:00:05 build complete 1s``, as (job, what)."""
    found = [CHANGE.fullmatch(line) for line in stdout.splitlines()]
    return [(m.group(1), m.group(2)) for m in found if m]


def report(stdout: str) -> list[str]:
    """What follows the live view's lines: the report."""
    return [line for line in stdout.splitlines() if not CHANGE.fullmatch(line)]


def test_watch_shows_each_change_then_the_failed_jobs_log_tail_and_exits_1(
    server: LiveServer, client: Client, tmp_path: Path
) -> None:
    project = project_with(client, tmp_path, {".ishcd.yml": FAILING})
    triggered = server.ishcd("pipeline", "trigger", project)
    pipeline_id = triggered.stdout.split()[1]
    result = server.ishcd(
        "pipeline", "watch", "1", "--project", project, "--log-lines", "3", check=False
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    seen = changes(result.stdout)
    # Each job's changes in order; the first line of each is its state when watching began.
    for job, last in [
        ("build", r"complete \d+s"),
        ("test", r"error \(failed\) \d+s"),
        ("deploy", r"error \(dependency_failed\)"),
    ]:
        states = [what for name, what in seen if name == job]
        assert states, result.stdout
        assert re.fullmatch(last, states[-1]), states
        assert len(states) == len(set(states))  # a line per change, not per poll
    lines = report(result.stdout)
    assert re.fullmatch(rf"pipeline {pipeline_id} #1 error \(failed\) after \d+s", lines[0])
    assert re.fullmatch(rf"workflow main {ID} error \(failed\)", lines[1])
    assert re.fullmatch(rf"  test    error     failed, exit code 3, run {ID}", lines[3])
    assert re.fullmatch(
        rf"==> test \(workflow main\): error, failed, exit code 3, run {ID} <==", lines[5]
    )
    assert lines[6:] == [
        "check 5 ok",
        "check 6 ok",
        "check 7 FAILED: expected 2, got 3",
    ]
    by_id = server.ishcd("pipeline", "watch", pipeline_id, "--log-lines", "0", check=False)
    assert by_id.returncode == 1
    assert "==>" not in by_id.stdout
    assert report(by_id.stdout) == lines[:5]


def test_trigger_wait_on_a_complete_pipeline_exits_0_with_no_log(
    server: LiveServer, client: Client, tmp_path: Path
) -> None:
    project = project_with(client, tmp_path, {".ishcd.yml": DEPLOY})
    result = server.ishcd("pipeline", "trigger", project, "--branch", "main", "--wait")
    lines = report(result.stdout)
    assert re.fullmatch(rf"pipeline {ID} #1 (queued|running|complete) \({project}\)", lines[0])
    assert re.fullmatch(rf"pipeline {ID} #1 complete after \d+s", lines[1])
    assert re.fullmatch(rf"  deploy  complete  run {ID}", lines[3])
    assert len(lines) == 4
    assert re.fullmatch(r"complete \d+s", changes(result.stdout)[-1][1])


def test_a_missing_branch_is_reported_once(
    server: LiveServer, client: Client, tmp_path: Path
) -> None:
    project = project_with(client, tmp_path, {".ishcd.yml": DEPLOY})
    result = server.ishcd("pipeline", "trigger", project, "--branch", "nope", "--wait", check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: branch: ")
    assert "nope" in line


def test_approve_wait_follows_to_the_end_and_names_the_promoted_pipeline(
    server: LiveServer, client: Client, tmp_path: Path
) -> None:
    project = project_with(client, tmp_path, {".ishcd.yml": HELD, ".ishcd/deploy.yml": DEPLOY})
    held = server.ishcd("pipeline", "trigger", project, "--wait")
    assert held.returncode == 0
    lines = report(held.stdout)
    pipeline_id = lines[0].split()[1]
    assert lines[1] == f"pipeline {pipeline_id} #1 on_hold"
    assert lines[-1].endswith(f": ishcd pipeline approve {pipeline_id} hold")
    assert ("hold", "on_hold") in changes(held.stdout)

    approved = server.ishcd("pipeline", "approve", pipeline_id, "hold", "--wait")
    lines = report(approved.stdout)
    assert re.fullmatch(r"approved hold in workflow main \S+: workflow \w+", lines[0])
    assert re.fullmatch(rf"pipeline {pipeline_id} #1 complete after \d+s", lines[1])
    assert re.fullmatch(rf"promotion deploy started pipeline {ID} #2 \w+ \({project}\)", lines[-1])
    assert [what for job, what in changes(approved.stdout) if job == "package"][-1].startswith(
        "complete"
    )
    promoted = server.ishcd("pipeline", "watch", "2", "--project", project)
    assert re.fullmatch(rf"  deploy  complete  run {ID}", report(promoted.stdout)[-1])


def test_logs_prints_each_jobs_log_under_a_header(
    server: LiveServer, client: Client, tmp_path: Path
) -> None:
    project = project_with(client, tmp_path, {".ishcd.yml": FAILING})
    server.ishcd("pipeline", "trigger", project, "--wait", check=False)
    every = server.ishcd("pipeline", "logs", "1", "--project", project).stdout.splitlines()
    headers = [line for line in every if line.startswith("==> ")]
    assert [h.split()[1] for h in headers] == ["build", "test"]  # deploy did not run
    assert re.fullmatch(rf"==> build \(workflow main\): complete, run {ID} <==", headers[0])
    build_log = every[every.index(headers[0]) + 1 : every.index(headers[1])]
    assert build_log[-1] == "compiled"
    assert every[-1] == "check 7 FAILED: expected 2, got 3"
    failed = server.ishcd("pipeline", "logs", "1", "--project", project, "--failed").stdout
    assert [line for line in failed.splitlines() if line.startswith("==> ")] == [headers[1]]
    assert re.fullmatch(
        rf"==> test \(workflow main\): error, failed, exit code 3, run {ID} <==", headers[1]
    )
    one = server.ishcd("pipeline", "logs", "1", "--project", project, "--job", "build").stdout
    assert one.splitlines()[0] == headers[0]
    assert "FAILED" not in one
    missing = server.ishcd(
        "pipeline", "logs", "1", "--project", project, "--job", "deploy", check=False
    )
    assert (missing.returncode, missing.stderr) == (
        1,
        "error: pipeline #1 has no log of deploy\n",
    )


def on_a_terminal(server: LiveServer, *args: str) -> tuple[int, str]:
    """Run ``ishcd`` with a pseudo-terminal as stdout; its exit status and what it drew."""
    main, side = pty.openpty()
    env = {**server.env, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"}
    with subprocess.Popen([*ISHCD, *args], env=env, stdout=side, stderr=side) as process:
        os.close(side)
        drawn = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the other end closed: the process is done
                break
            if not chunk:
                break
            drawn += chunk
        code = process.wait(timeout=TIMEOUT)
    os.close(main)
    return code, drawn.decode("utf-8", "replace")


def test_watch_on_a_terminal_draws_the_jobs_in_place(
    server: LiveServer, client: Client, tmp_path: Path
) -> None:
    project = project_with(client, tmp_path, {".ishcd.yml": FAILING})
    server.ishcd("pipeline", "trigger", project)
    code, drawn = on_a_terminal(server, "pipeline", "watch", "1", "--project", project)
    assert code == 1
    assert "\x1b[" in drawn  # drawn with escape sequences, not as lines of changes
    assert not re.search(r"^\d\d:\d\d:\d\d build ", drawn, re.M)
    assert "✓" in drawn  # build passed
    assert "✗" in drawn  # test failed
    assert "pipeline #1 error (failed)" in drawn
    assert "==> test (workflow main): error, failed, exit code 3" in drawn
    assert "check 7 FAILED: expected 2, got 3" in drawn


MATRIX = """\
version: 1
jobs:
  test: {steps: [{run: 'echo "tested with << matrix.shell >>"'}]}
  testing: {steps: [{run: echo other}]}
workflows:
  main:
    jobs:
      - test: {matrix: {parameters: {shell: [bash, dash]}}}
      - testing
"""


def test_logs_of_a_matrix_job_by_the_name_it_was_made_from(
    server: LiveServer, client: Client, tmp_path: Path
) -> None:
    project = project_with(client, tmp_path, {".ishcd.yml": MATRIX})
    server.ishcd("pipeline", "trigger", project, "--wait")
    logs = server.ishcd("pipeline", "logs", "1", "--project", project, "--job", "test").stdout
    lines = logs.splitlines()
    headers = sorted(line.split()[1] for line in lines if line.startswith("==> "))
    assert headers == ["test-shellbash", "test-shelldash"]  # not "testing"
    assert sorted(line for line in lines if line.startswith("tested")) == [
        "tested with bash",
        "tested with dash",
    ]
    one = server.ishcd("pipeline", "logs", "1", "--project", project, "--job", "test-shelldash")
    assert "tested with dash" in one.stdout
    assert "tested with bash" not in one.stdout


SLOW = """\
version: 1
jobs:
  slow: {steps: [{run: echo started; sleep 300}]}
workflows:
  main: {jobs: [slow]}
"""


def test_watch_rides_out_a_killed_server_and_ends_with_the_result(
    live_server_factory: Any, tmp_path: Path
) -> None:
    server: LiveServer = live_server_factory("restarted")
    with Client(server.token, host=server.url) as made:
        project = project_with(made, tmp_path, {".ishcd.yml": SLOW})
    server.ishcd("pipeline", "trigger", project)
    env = {**server.env, "PYTHONUNBUFFERED": "1"}  # each change line as it is printed
    command = [*ISHCD, "pipeline", "watch", "1", "--project", project, "--log-lines", "1"]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as watch:
        assert watch.stdout is not None
        seen: list[str] = []
        while not seen or not seen[-1].endswith(" slow running"):
            line = watch.stdout.readline()
            assert line, f"watch ended early: {seen}"
            seen.append(line.rstrip("\n"))
        server.kill()  # the connection is refused until the server is back
        server.start()  # its run ended runner_lost at start: the pipeline ends error
        out, err = watch.communicate(timeout=TIMEOUT)
    assert watch.returncode == 1, err
    last = [what for job, what in changes(out) if job == "slow"][-1]
    assert last.startswith("error (runner_lost)"), out
    lines = report(out)
    assert re.fullmatch(rf"pipeline {ID} #1 error \(failed\) after .+", lines[0]), out
    assert re.fullmatch(rf"==> slow \(workflow main\): error, runner_lost, run {ID} <==", lines[3])
