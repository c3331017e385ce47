"""``ishcd pipeline …`` and ``ishcd config validate`` as processes, against a real server.

One server for the module (a start costs seconds); each test has a project of its own,
without a repository, so pipelines come from ``--config FILE``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ishcd.client import Client
from tests.e2e.conftest import LiveServer, free_port
from tests.e2e.test_client_pipelines import APPROVAL, BAD, DAG, FAILING, PARAMS, SLOW, flaky

ID = r"[0-9a-f-]{36}"
TIMEOUT = 60


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    made = LiveServer(data_dir=tmp_path_factory.mktemp("cli-pipelines") / "data", port=free_port())
    made.start()
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture
def client(server: LiveServer) -> Iterator[Client]:
    with Client(server.token, host=server.url) as made:
        yield made


NAMES = itertools.count(1)


@pytest.fixture
def project(client: Client) -> str:
    return client.projects().create(f"c{next(NAMES)}").machine_name


def config_file(tmp_path: Path, text: str, name: str = "ishcd.yml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


PROGRESS = re.compile(r"\d\d:\d\d:\d\d \S+ .+")  # the live view, piped: 12:00:05 build complete 1s


def report_lines(stdout: str, skip: int = 1) -> list[str]:
    """What ``--wait`` prints after the first ``skip`` lines, without the live view's lines."""
    return [line for line in stdout.splitlines()[skip:] if not PROGRESS.fullmatch(line)]


def started(stdout: str, project: str) -> tuple[str, str]:
    """The id and number from the first line, ``pipeline ID #N STATUS (PROJECT)``."""
    first = stdout.splitlines()[0]
    match = re.fullmatch(
        rf"pipeline ({ID}) #(\d+) (queued|running|on_hold|complete|error) \({project}\)", first
    )
    assert match, stdout
    return match.group(1), match.group(2)


def test_trigger_wait_prints_the_workflows_and_jobs_and_exits_0(
    server: LiveServer, project: str, tmp_path: Path
) -> None:
    result = server.ishcd(
        "pipeline",
        "trigger",
        project,
        "--config",
        config_file(tmp_path, DAG),
        "--branch",
        "main",
        "--wait",
    )
    pipeline_id, number = started(result.stdout, project)
    lines = report_lines(result.stdout)
    assert re.fullmatch(rf"pipeline {pipeline_id} #{number} complete after \d+s", lines[0])
    assert re.fullmatch(rf"workflow main ({ID}) complete", lines[1])
    assert re.fullmatch(rf"  build  complete  run {ID}", lines[2])
    assert re.fullmatch(rf"  test   complete  run {ID}", lines[3])
    assert len(lines) == 4
    assert result.stderr == ""


def test_trigger_without_wait_exits_0_at_once(
    server: LiveServer, client: Client, project: str, tmp_path: Path
) -> None:
    result = server.ishcd("pipeline", "trigger", project, "--config", config_file(tmp_path, DAG))
    pipeline_id, number = started(result.stdout, project)
    assert number == "1"
    assert len(result.stdout.splitlines()) == 1
    assert client.pipelines(pipeline_id).wait(TIMEOUT).status == "complete"


def test_a_failing_pipeline_exits_1_showing_the_failed_job_and_what_was_not_run(
    server: LiveServer, project: str, tmp_path: Path
) -> None:
    result = server.ishcd(
        "pipeline",
        "trigger",
        project,
        "--config",
        config_file(tmp_path, FAILING),
        "--wait",
        check=False,
    )
    assert result.returncode == 1, result.stderr
    pipeline_id, _ = started(result.stdout, project)
    lines = report_lines(result.stdout)
    assert re.fullmatch(rf"pipeline {pipeline_id} #1 error \(failed\) after \d+s", lines[0])
    assert re.fullmatch(rf"workflow main {ID} error \(failed\)", lines[1])
    assert re.fullmatch(rf"  build   error  failed, exit code 3, run {ID}", lines[2])
    assert (
        lines[3]
        == "  deploy  error  not run (dependency_failed): required job 'build' ended failed"
    )
    # Then the failed job's log: its last lines, under a header.
    assert re.fullmatch(
        rf"==> build \(workflow main\): error, failed, exit code 3, run {ID} <==", lines[4]
    )
    assert lines[-1] == "boom"


def test_params_reach_the_pipeline_and_a_bad_one_names_its_field(
    server: LiveServer, client: Client, project: str, tmp_path: Path
) -> None:
    config = config_file(tmp_path, PARAMS)
    good = server.ishcd(
        "pipeline",
        "trigger",
        project,
        "--config",
        config,
        "--param",
        "shards=4",
        "-p",
        "loud=true",
        "--wait",
    )
    pipeline_id, _ = started(good.stdout, project)
    [workflow] = client.pipelines(pipeline_id).workflows()
    [job] = client.workflows(workflow.id).jobs()
    assert job.run_id is not None
    assert (client.runs(job.run_id).get().log or "").endswith("\nstaging 4 true\n")

    bad = server.ishcd(
        "pipeline", "trigger", project, "--config", config, "-p", "shards=many", check=False
    )
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert bad.stderr.splitlines()[0] == "error: invalid parameters"
    assert re.fullmatch(r"  parameters\.shards: .*integer.*", bad.stderr.splitlines()[1])

    malformed = server.ishcd(
        "pipeline", "trigger", project, "--config", config, "-p", "shards", check=False
    )
    assert malformed.returncode == 2
    assert "'shards' is not KEY=VALUE" in malformed.stderr
    assert [p.number for p in client.projects(project).pipelines().list()] == [1]


def test_config_errors_and_a_missing_config_exit_1(
    server: LiveServer, project: str, tmp_path: Path
) -> None:
    bad = server.ishcd(
        "pipeline",
        "trigger",
        project,
        "--config",
        config_file(tmp_path, BAD),
        "--wait",
        check=False,
    )
    assert bad.returncode == 1
    started(bad.stdout, project)
    assert re.fullmatch(
        r"  \(inline\):8: workflows\.w\.jobs\[0\]\.a\.requires\[0\]: .*nope.*",
        bad.stdout.splitlines()[1],
    )
    none = server.ishcd("pipeline", "trigger", project, check=False)
    assert none.returncode == 1
    assert none.stderr.startswith("error: config: this project has no repository")
    unreadable = server.ishcd(
        "pipeline", "trigger", project, "--config", str(tmp_path / "nope.yml"), check=False
    )
    assert unreadable.returncode == 2
    assert "nope.yml: cannot read the file" in unreadable.stderr


def test_on_hold_exits_0_naming_the_approval_and_approve_lets_it_complete(
    server: LiveServer, client: Client, project: str, tmp_path: Path
) -> None:
    held = server.ishcd(
        "pipeline", "trigger", project, "--config", config_file(tmp_path, APPROVAL), "--wait"
    )
    pipeline_id, _ = started(held.stdout, project)
    lines = report_lines(held.stdout)
    assert lines[0] == f"pipeline {pipeline_id} #1 on_hold"
    workflow_id = re.fullmatch(rf"workflow main ({ID}) on_hold", lines[1])
    assert workflow_id, lines[1]
    assert lines[3] == "  hold    on_hold   waiting for approval"
    assert lines[4] == "  deploy  queued"
    assert lines[5] == (
        f"waiting for approval of hold in workflow main {workflow_id.group(1)}: "
        f"ishcd pipeline approve {pipeline_id} hold"
    )

    # by number in its project, or by id
    wrong = server.ishcd("pipeline", "approve", "1", "build", "--project", project, check=False)
    assert wrong.returncode == 1
    assert (
        wrong.stderr
        == "error: pipeline #1 has no job 'build' waiting for approval (on hold: hold)\n"
    )
    approved = server.ishcd("pipeline", "approve", pipeline_id, "hold")
    status = "(queued|running|complete)"
    assert re.fullmatch(
        rf"approved hold in workflow main {workflow_id.group(1)}: workflow {status}\n",
        approved.stdout,
    )
    assert client.pipelines(pipeline_id).wait(TIMEOUT).status == "complete"
    again = server.ishcd("pipeline", "approve", pipeline_id, "hold", check=False)
    assert again.returncode == 1
    assert again.stderr == "error: pipeline #1 has no job 'hold' waiting for approval\n"
    shown = server.ishcd("pipeline", "show", pipeline_id).stdout
    assert "  hold    complete  approved by admin\n" in shown


def test_promote_reports_refusals_and_a_failed_promotion(
    server: LiveServer, project: str, tmp_path: Path
) -> None:
    held = server.ishcd(
        "pipeline", "trigger", project, "--config", config_file(tmp_path, APPROVAL), "--wait"
    )
    pipeline_id, _ = started(held.stdout, project)
    refused = server.ishcd("pipeline", "promote", "1", "deploy", "--project", project, check=False)
    assert refused.returncode == 1
    assert refused.stderr == (
        "error: pipeline 1 is on_hold, not complete: send override: true to promote it anyway\n"
    )
    unknown = server.ishcd("pipeline", "promote", pipeline_id, "nope", "--override", check=False)
    assert unknown.returncode == 1
    # Said once: the one field's line is the message.
    assert unknown.stderr == "error: name: pipeline 1's config has no promotion 'nope'\n"
    # Without a repository there is no .ishcd/deploy.yml to promote to.
    failed = server.ishcd("pipeline", "promote", pipeline_id, "deploy", "--override", check=False)
    assert failed.returncode == 1
    assert failed.stderr == (
        f"error: project {project!r} has no repository to read .ishcd/deploy.yml from: "
        "set its repository to promote\n"
    )
    no_project = server.ishcd("pipeline", "stop", "1", check=False)
    assert no_project.returncode == 2
    assert "pipeline number 1 needs --project" in no_project.stderr
    stopped = server.ishcd("pipeline", "stop", "1", "--project", project)
    assert stopped.stdout.startswith(f"pipeline {pipeline_id} #1 ")


def test_show_by_number_and_by_id_and_as_json(
    server: LiveServer, project: str, tmp_path: Path
) -> None:
    config = config_file(tmp_path, PARAMS)
    result = server.ishcd(
        "pipeline",
        "trigger",
        project,
        "--config",
        config,
        "-p",
        "target=production",
        "--branch",
        "dev",
        "--wait",
    )
    pipeline_id, _ = started(result.stdout, project)
    by_number = server.ishcd("pipeline", "show", "1", "--project", project).stdout
    by_id = server.ishcd("pipeline", "show", pipeline_id).stdout
    lines = by_id.splitlines()
    assert lines[0] == f"pipeline {pipeline_id} #1 ({project})"
    assert re.fullmatch(r"status:      complete after \d+s", lines[1])
    assert re.fullmatch(r"trigger:     api by admin, (just now|\d+ seconds? ago)", lines[2])
    assert lines[3:6] == [
        "vcs:         branch dev",
        "config:      (inline)",
        "parameters:  loud=false, shards=2, target=production",
    ]
    assert re.fullmatch(rf"workflow main {ID} complete", lines[6])
    assert re.fullmatch(rf"  show  complete  run {ID}", lines[7])
    assert len(lines) == 8

    def steady(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("trigger:")]

    assert steady(by_number) == steady(by_id)
    raw = json.loads(server.ishcd("pipeline", "show", pipeline_id, "--json").stdout)
    assert (raw["id"], raw["number"], raw["parameters"]) == (
        pipeline_id,
        1,
        {"target": "production", "shards": 2, "loud": False},
    )

    bad = server.ishcd(
        "pipeline", "trigger", project, "--config", config_file(tmp_path, BAD), check=False
    )
    errors = server.ishcd("pipeline", "show", "2", "--project", project).stdout.splitlines()
    assert bad.returncode == 1
    assert errors[1] == "status:      error (config_error)"
    assert errors[-2] == "errors:"
    assert errors[-1].startswith("  (inline):8: workflows.w.jobs[0].a.requires[0]: ")

    no_project = server.ishcd("pipeline", "show", "1", check=False)
    assert no_project.returncode == 2
    assert "pipeline number 1 needs --project" in no_project.stderr
    not_a_number = server.ishcd("pipeline", "show", pipeline_id, "--project", project, check=False)
    assert not_a_number.returncode == 2
    missing = server.ishcd("pipeline", "show", "99", "--project", project, check=False)
    assert (missing.returncode, missing.stderr) == (
        1,
        f"error: pipeline 99 not found in '{project}'\n",
    )


def test_list_prints_a_row_per_pipeline_newest_first(
    server: LiveServer, project: str, tmp_path: Path
) -> None:
    empty = server.ishcd("pipeline", "list", project)
    assert (empty.stdout, empty.stderr) == ("", "no pipelines\n")
    ok = started(
        server.ishcd(
            "pipeline",
            "trigger",
            project,
            "--config",
            config_file(tmp_path, DAG),
            "--branch",
            "main",
            "--wait",
        ).stdout,
        project,
    )
    failed = server.ishcd(
        "pipeline",
        "trigger",
        project,
        "--config",
        config_file(tmp_path, FAILING),
        "--wait",
        check=False,
    )
    bad = started(failed.stdout, project)
    rows = server.ishcd("pipeline", "list", project).stdout.splitlines()
    assert rows[0].split() == ["NUMBER", "ID", "STATUS", "REASON", "REF", "TRIGGER", "CREATED"]
    age = r"(just now|\d+ seconds? ago)"
    assert re.fullmatch(rf"2\s+{bad[0]}\s+error\s+failed\s+admin\s+{age}", rows[1])
    assert re.fullmatch(rf"1\s+{ok[0]}\s+complete\s+main\s+admin\s+{age}", rows[2])
    assert len(rows) == 3

    def ids(*args: str) -> list[str]:
        return [
            row.split()[1]
            for row in server.ishcd("pipeline", "list", project, *args).stdout.splitlines()[1:]
        ]

    assert ids("--status", "complete") == [ok[0]]
    assert ids("--branch", "main") == [ok[0]]
    assert ids("--limit", "1") == [bad[0]]
    as_json = json.loads(server.ishcd("pipeline", "list", project, "--json").stdout)
    assert [p["number"] for p in as_json] == [2, 1]
    assert (
        server.ishcd("pipeline", "list", project, "--status", "done", check=False).returncode == 2
    )


def test_stop_cancels_the_pipeline_and_a_second_stop_is_an_error(
    server: LiveServer, client: Client, project: str, tmp_path: Path
) -> None:
    pipeline_id, _ = started(
        server.ishcd(
            "pipeline", "trigger", project, "--config", config_file(tmp_path, SLOW)
        ).stdout,
        project,
    )
    client.pipelines(pipeline_id).wait(TIMEOUT, until={"running"})
    stopped = server.ishcd("pipeline", "stop", pipeline_id, "--wait")
    assert re.fullmatch(
        rf"pipeline {pipeline_id} #1 error \(canceled\) after \d+s\n", stopped.stdout
    )
    again = server.ishcd("pipeline", "stop", pipeline_id, check=False)
    assert (again.returncode, again.stderr) == (1, "error: pipeline 1 has already finished\n")
    shown = server.ishcd("pipeline", "show", pipeline_id).stdout.splitlines()
    assert re.fullmatch(rf"  slow   error  canceled, run {ID}", shown[-2])
    assert shown[-1] == "  after  error  not run (canceled): the workflow was canceled"


def test_rerun_from_failed_with_a_request_token_twice_is_one_workflow(
    server: LiveServer, project: str, tmp_path: Path
) -> None:
    flag = tmp_path / "fixed"
    failed = server.ishcd(
        "pipeline",
        "trigger",
        project,
        "--config",
        config_file(tmp_path, flaky(flag)),
        "--wait",
        check=False,
    )
    assert failed.returncode == 1
    pipeline_id, _ = started(failed.stdout, project)
    original = re.search(rf"^workflow main ({ID}) error \(failed\)$", failed.stdout, re.M)
    assert original, failed.stdout
    flag.touch()
    args = ("pipeline", "rerun", original.group(1), "--from-failed", "--request-token", "retry-1")
    one = server.ishcd(*args)
    line = rf"workflow ({ID}) \w+ \(rerun of {original.group(1)} in pipeline {pipeline_id} #1\)"
    first = re.fullmatch(line + "\n", one.stdout)
    assert first, one.stdout
    two = server.ishcd(*args, "--wait")
    lines = report_lines(two.stdout, skip=0)
    second = re.fullmatch(line + ", started earlier with this request token", lines[0])
    assert second, two.stdout
    assert second.group(1) == first.group(1)
    assert re.fullmatch(rf"pipeline {pipeline_id} #1 complete after \d+s", lines[1])
    assert lines[2] == f"workflow main {first.group(1)} complete, rerun of {original.group(1)}"
    assert re.fullmatch(rf"  flaky  complete  run {ID}", lines[4])

    unknown = server.ishcd("pipeline", "rerun", original.group(1), "--job", "nope", check=False)
    assert unknown.returncode == 1
    assert unknown.stderr == "error: jobs[0]: no job 'nope' here\n"


def test_config_validate_a_good_and_a_bad_file(server: LiveServer, tmp_path: Path) -> None:
    good = config_file(tmp_path, DAG, "good.yml")
    valid = server.ishcd("config", "validate", good)
    assert valid.stdout == f"{good}: valid (1 workflow, 2 jobs)\n"
    bad = config_file(tmp_path, BAD, "bad.yml")
    invalid = server.ishcd("config", "validate", bad, check=False)
    assert invalid.returncode == 1
    [line] = invalid.stdout.splitlines()
    assert re.fullmatch(
        rf"{re.escape(bad)}:8: workflows\.w\.jobs\[0\]\.a\.requires\[0\]: .*nope.*", line
    )
