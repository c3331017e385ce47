"""``ishcd runs show|log|cancel|list`` as processes, against a real server.

One server for the module; each test has a project of its own.
"""

from __future__ import annotations

import itertools
import os
import re
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from queue import Empty, Queue

import pytest

from ishcd.client import Client, Variable
from tests.e2e.conftest import ISHCD, LiveServer, free_port

ID = r"[0-9a-f-]{36}"
TIMEOUT = 60
NAMES = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    made = LiveServer(data_dir=tmp_path_factory.mktemp("cli-runs") / "data", port=free_port())
    made.start()
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture
def client(server: LiveServer) -> Iterator[Client]:
    with Client(server.token, host=server.url) as made:
        yield made


@pytest.fixture
def project(client: Client) -> str:
    return client.projects().create(f"r{next(NAMES)}").machine_name


def ishcd_bytes(server: LiveServer, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*ISHCD, *args], env=server.env, capture_output=True, timeout=120, check=False
    )


def test_show_prints_the_run_with_its_secrets_masked(
    server: LiveServer, client: Client, project: str
) -> None:
    variables = [Variable("TARGET"), Variable("PASSWORD", secret=True)]
    client.projects(project).jobs().create("Deploy", "echo go; exit 4", variables=variables)
    run = (
        client.projects(project)
        .jobs("deploy")
        .runs()
        .create(env={"TARGET": "db1", "PASSWORD": "hunter2"}, wait=True, timeout=TIMEOUT)
    )
    result = server.ishcd("runs", "show", run.id[:8], check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"run {run.id} ({project})"
    assert re.fullmatch(r"status:\s+error \(failed\) after \d+s, exit code 4", lines[1])
    assert re.fullmatch(r"created:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d by admin \(.+\)", lines[2])
    assert re.fullmatch(r"finished:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", lines[4])
    assert re.fullmatch(r"job:\s+deploy", lines[5])
    assert re.fullmatch(r"env:\s+PASSWORD=\*\*\*, TARGET=db1", lines[6])
    assert "hunter2" not in result.stdout
    assert "pipeline:" not in result.stdout
    as_json = server.ishcd("runs", "show", run.id, "--json")
    assert '"PASSWORD": "***"' in as_json.stdout


def test_a_prefix_resolves_when_unique_and_says_so_when_ambiguous_or_unknown(
    server: LiveServer, client: Client, project: str
) -> None:
    client.projects(project).jobs().create("Job", "true")
    runs = [
        client.projects(project).jobs("job").runs().create(wait=True, timeout=TIMEOUT)
        for _ in range(3)
    ]
    # Ids are random: give two of them a common start, as a big server's runs have.
    shared = [f"abcd{n}{run.id[5:]}" for n, run in enumerate(runs[:2])]
    with sqlite3.connect(server.data_dir / "ishcd.db", timeout=30) as db:
        for run, new in zip(runs, shared, strict=False):
            db.execute("UPDATE runs SET id = ? WHERE id = ?", (new, run.id))
    unique = server.ishcd("runs", "show", runs[2].id[:6])
    assert unique.stdout.splitlines()[0] == f"run {runs[2].id} ({project})"
    whole = server.ishcd("runs", "show", shared[1])
    assert whole.stdout.splitlines()[0] == f"run {shared[1]} ({project})"
    by_more = server.ishcd("runs", "show", "ABCD1")
    assert by_more.stdout.splitlines()[0] == f"run {shared[1]} ({project})"
    ambiguous = server.ishcd("runs", "show", "abcd", check=False)
    assert ambiguous.returncode == 1
    assert ambiguous.stderr == (
        f"error: ambiguous: 'abcd' matches {shared[1]}, {shared[0]}; give more of the id\n"
    )
    assert ambiguous.stdout == ""
    other = "0000" if not runs[2].id.startswith("0000") else "ffff"
    unknown = server.ishcd("runs", "log", other, check=False)
    assert (unknown.returncode, unknown.stderr) == (
        1,
        f"error: no run you can see has an id starting with '{other}'\n",
    )
    malformed = server.ishcd("runs", "cancel", "ab", check=False)
    assert malformed.returncode == 2
    assert "at least 4 hex digits" in malformed.stderr


def test_log_writes_the_bytes_unchanged_and_tail_keeps_the_last_lines(
    server: LiveServer, client: Client, project: str
) -> None:
    script = r"printf 'one\n\033[31mred\033[0m\n\377\376 raw\nlast'"
    client.projects(project).jobs().create("Bytes", script)
    run = client.projects(project).jobs("bytes").runs().create(wait=True, timeout=TIMEOUT)
    expected = b"one\n\x1b[31mred\x1b[0m\n\xff\xfe raw\nlast"
    whole = ishcd_bytes(server, "runs", "log", run.id)
    assert whole.returncode == 0, whole.stderr
    assert whole.stdout == expected
    tail = ishcd_bytes(server, "runs", "log", run.id[:8], "--tail", "2")
    assert tail.stdout == b"\xff\xfe raw\nlast"
    assert ishcd_bytes(server, "runs", "log", run.id, "--tail", "0").stdout == b""
    assert ishcd_bytes(server, "runs", "log", run.id, "--tail", "9").stdout == expected


def _reader(process: subprocess.Popen[bytes]) -> Queue[bytes]:
    """Lines of the process's stdout, as they come, on a queue (b"" at the end)."""
    lines: Queue[bytes] = Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in iter(process.stdout.readline, b""):
            lines.put(line)
        lines.put(b"")

    threading.Thread(target=read, daemon=True).start()
    return lines


@pytest.mark.parametrize(("end", "code"), [("exit 0", 0), ("exit 5", 1)])
def test_log_follow_prints_the_log_as_it_is_written_and_exits_by_the_result(
    server: LiveServer, client: Client, project: str, tmp_path: Path, end: str, code: int
) -> None:
    flag = tmp_path / "go"
    script = f"echo before; while [ ! -e {flag} ]; do sleep 0.05; done; echo after; {end}"
    client.projects(project).jobs().create("Waits", script)
    run = client.projects(project).jobs("waits").runs().create()
    args = [*ISHCD, "runs", "log", run.id[:10], "--follow"]
    with subprocess.Popen(args, env=server.env, stdout=subprocess.PIPE) as process:
        lines = _reader(process)
        try:
            assert lines.get(timeout=TIMEOUT) == b"before\n"
            # Printed while the script still waits: the run has not ended.
            assert client.runs(run.id).get().status == "running"
            with pytest.raises(Empty):
                lines.get(timeout=0.3)
            flag.touch()
            assert lines.get(timeout=TIMEOUT) == b"after\n"
            assert lines.get(timeout=TIMEOUT) == b""
            assert process.wait(timeout=TIMEOUT) == code
        finally:
            process.kill()


def test_log_follow_with_tail_starts_from_the_last_lines(
    server: LiveServer, client: Client, project: str, tmp_path: Path
) -> None:
    flag = tmp_path / "go"
    script = f"seq 1 5; while [ ! -e {flag} ]; do sleep 0.05; done; echo six"
    client.projects(project).jobs().create("Counts", script)
    run = client.projects(project).jobs("counts").runs().create()
    deadline = time.monotonic() + TIMEOUT
    while client.runs(run.id).log().data.count(b"\n") < 5:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    args = [*ISHCD, "runs", "log", run.id, "--follow", "--tail", "2"]
    with subprocess.Popen(args, env=server.env, stdout=subprocess.PIPE) as process:
        lines = _reader(process)
        try:
            assert [lines.get(timeout=TIMEOUT) for _ in range(2)] == [b"4\n", b"5\n"]
            flag.touch()
            assert lines.get(timeout=TIMEOUT) == b"six\n"
            assert process.wait(timeout=TIMEOUT) == 0
        finally:
            process.kill()


def test_cancel_stops_a_running_run_and_a_finished_one_is_an_error(
    server: LiveServer, client: Client, project: str
) -> None:
    client.projects(project).jobs().create("Sleeps", "sleep 60")
    run = client.projects(project).jobs("sleeps").runs().create()
    result = server.ishcd("runs", "cancel", run.id[:8])
    assert re.fullmatch(rf"run {run.id} (error \(canceled\)|running, stopping)\n", result.stdout)
    assert client.runs(run.id).wait(TIMEOUT).error_reason == "canceled"
    again = server.ishcd("runs", "cancel", run.id, check=False)
    assert again.returncode == 1
    assert again.stderr == f"error: run {run.id} has already finished (error)\n"


def test_list_shows_each_runs_pipeline_and_filters_by_pipeline(
    server: LiveServer, client: Client, project: str
) -> None:
    config = (
        "version: 1\njobs:\n  build: {steps: [{run: echo built}]}\n"
        "workflows:\n  main: {jobs: [build]}\n"
    )
    pipelines = client.projects(project).pipelines()
    first = pipelines.trigger(branch="main", config=config, wait=True, timeout=TIMEOUT)
    second = pipelines.trigger(branch="dev", config=config, wait=True, timeout=TIMEOUT)
    client.projects(project).jobs().create("Build", "true")
    stored = client.projects(project).jobs("build").runs().create(wait=True, timeout=TIMEOUT)
    result = server.ishcd("runs", "list", project)
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["ID", "JOB", "PIPELINE", "STATUS", "REASON", "CREATED", "DURATION"]
    # The same job name in two pipelines: the pipeline column tells them apart.
    assert len(rows) == 4
    assert rows[1][:3] == [stored.id, "build", "complete"]
    assert rows[2][1:5] == ["build", "#2", "dev", "complete"]
    assert rows[3][1:5] == ["build", "#1", "main", "complete"]
    only = server.ishcd("runs", "list", project, "--pipeline", "1")
    [header, row] = only.stdout.splitlines()
    assert row.split()[:5] == [rows[3][0], "build", "#1", "main", "complete"]
    assert header.split()[2] == "PIPELINE"
    found = client.runs(rows[3][0]).get().pipeline
    assert found is not None
    assert (found.id, found.number) == (first.id, 1)
    assert second.number == 2
    none = server.ishcd("runs", "list", project, "--pipeline", "1", "--status", "error")
    assert (none.stdout, none.stderr) == ("", "no runs\n")
    limited = server.ishcd("runs", "list", project, "--limit", "1")
    assert len(limited.stdout.splitlines()) == 2


def test_show_names_a_pipeline_jobs_pipeline_workflow_and_branch(
    server: LiveServer, client: Client, project: str
) -> None:
    config = (
        "version: 1\njobs:\n  build: {steps: [{run: echo built}]}\n"
        "workflows:\n  main: {jobs: [build]}\n"
    )
    pipeline = (
        client.projects(project)
        .pipelines()
        .trigger(branch="main", config=config, wait=True, timeout=TIMEOUT)
    )
    [workflow] = client.pipelines(pipeline.id).workflows()
    [job] = client.workflows(workflow.id).jobs()
    assert job.run_id is not None
    result = server.ishcd("runs", "show", job.run_id)
    lines = result.stdout.splitlines()
    assert re.fullmatch(rf"pipeline:\s+#1 main \({pipeline.id}\)", lines[5])
    assert re.fullmatch(rf"workflow:\s+main \({workflow.id}\)", lines[6])
    assert re.fullmatch(r"job:\s+build", lines[7])


def test_the_commands_need_a_token(server: LiveServer) -> None:
    env = {**server.env, "ISHCD_TOKEN": ""}
    result = subprocess.run(
        [*ISHCD, "runs", "show", "abcd"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "no API token" in result.stderr
    assert os.environ.get("ISHCD_TOKEN") != ""  # the test's own environment is untouched
