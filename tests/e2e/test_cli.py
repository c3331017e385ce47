"""``ishcd run`` and the list commands as processes, against a real server."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from ishcd.client import Client, Variable
from tests.e2e.conftest import ISHCD, LiveServer

RUN_ID = r"[0-9a-f-]{36}"


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    """A live server with project "p": job "echo" (variable A) and job "fail"."""
    with Client(live_server.token, host=live_server.url) as client:
        client.projects().create("p")
        jobs = client.projects("p").jobs()
        jobs.create("echo", 'echo "A is $A"', variables=[Variable("A")])
        jobs.create("fail", "echo boom; exit 3")
    return live_server


def client_of(server: LiveServer) -> Client:
    return Client(server.token, host=server.url)


def test_run_wait_prints_the_run_and_its_end_and_exits_0(server: LiveServer) -> None:
    result = server.ishcd("run", "p/echo", "-e", "A=1", "--wait")
    first, last = result.stdout.splitlines()
    match = re.fullmatch(rf"run ({RUN_ID}) queued \(p/echo\)", first)
    assert match, first
    run_id = match.group(1)
    assert re.fullmatch(rf"run {run_id} complete after \d+s, exit code 0", last)
    with client_of(server) as client:
        run = client.runs(run_id).get()
    assert (run.status, run.env, run.log) == ("complete", {"A": "1"}, "A is 1\n")


def test_run_follow_prints_the_job_s_output_on_stdout(server: LiveServer) -> None:
    result = server.ishcd("run", "p/echo", "--env", "A=two words", "--follow")
    assert result.stdout == "A is two words\n"
    assert re.search(rf"^run {RUN_ID} queued \(p/echo\)$", result.stderr, re.M)
    assert re.search(rf"^run {RUN_ID} complete after \d+s, exit code 0$", result.stderr, re.M)


def test_a_failing_script_exits_1_with_its_reason_and_exit_code(server: LiveServer) -> None:
    waited = server.ishcd("run", "p/fail", "--wait", check=False)
    assert waited.returncode == 1
    assert re.search(r"error \(failed\) after \d+s, exit code 3$", waited.stdout)

    followed = server.ishcd("run", "p/fail", "-f", check=False)
    assert followed.returncode == 1
    assert followed.stdout == "boom\n"
    assert "error (failed)" in followed.stderr


def test_run_without_wait_exits_0_once_queued_and_a_key_runs_once(server: LiveServer) -> None:
    first = server.ishcd("run", "p/echo", "--idempotency-key", "k1")
    assert re.fullmatch(rf"run {RUN_ID} queued \(p/echo\)\n", first.stdout)
    again = server.ishcd("run", "p/echo", "--idempotency-key", "k1")
    run_id = first.stdout.split()[1]
    assert again.stdout.startswith(f"run {run_id} ")
    assert "started earlier with this idempotency key" in again.stdout
    with client_of(server) as client:
        assert [r.id for r in client.projects("p").runs().list()] == [run_id]


def test_usage_errors_exit_2_and_name_the_bad_value(server: LiveServer) -> None:
    bad_env = server.ishcd("run", "p/echo", "-e", "A=1", "-e", "NOEQUALS", check=False)
    assert bad_env.returncode == 2
    assert "'NOEQUALS' is not KEY=VALUE" in bad_env.stderr
    bad_target = server.ishcd("run", "just-a-project", check=False)
    assert bad_target.returncode == 2
    assert "'just-a-project' is not PROJECT/JOB" in bad_target.stderr
    with client_of(server) as client:
        assert client.projects("p").runs().list() == []


def test_api_errors_print_the_message_and_each_field_and_exit_1(server: LiveServer) -> None:
    missing = server.ishcd("run", "nope/echo", check=False)
    assert missing.returncode == 1
    assert missing.stderr == "error: project 'nope' not found\n"
    undeclared = server.ishcd("run", "p/echo", "-e", "NOPE=1", check=False)
    assert undeclared.returncode == 1
    assert undeclared.stderr.splitlines() == [
        "error: invalid env: env.NOPE",
        "  env.NOPE: NOPE is not a variable of this job",
    ]
    assert undeclared.stdout == ""


def test_url_and_token_come_from_options_and_a_missing_token_is_clear(
    server: LiveServer,
) -> None:
    env = {k: v for k, v in server.env.items() if k not in ("ISHCD_URL", "ISHCD_TOKEN")}

    def ishcd(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ISHCD, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )

    no_token = ishcd("projects", "list", "--url", server.url)
    assert no_token.returncode == 2
    assert no_token.stderr == (
        f"error: no API token for {server.url}: run `ishcd login`, pass --token or set "
        "ISHCD_TOKEN\n"
    )
    given = ishcd("projects", "list", "--json", "--url", server.url, "--token", server.token)
    assert given.returncode == 0, given.stderr
    assert [p["machine_name"] for p in json.loads(given.stdout)] == ["p"]


def test_lists_print_one_row_per_item_or_the_json_array(server: LiveServer) -> None:
    with client_of(server) as client:
        project = client.projects("p")
        ok = project.jobs("echo").runs().create(wait=True, timeout=30)
        failed = project.jobs("fail").runs().create(wait=True, timeout=30)
        project_id = project.get().id
        jobs = {j.machine_name: j.id for j in project.jobs().list()}
    commands = {
        "projects": ("projects", "list"),
        "jobs": ("jobs", "list", "p"),
        "runs": ("runs", "list", "p"),
        "complete": ("runs", "list", "p", "--status", "complete"),
        "of job": ("runs", "list", "p", "--job", "fail"),
        "limit": ("runs", "list", "p", "--limit", "1"),
        "json": ("runs", "list", "p", "--json", "--job", "echo"),
        "none": ("runs", "list", "p", "--status", "queued"),
        "bad status": ("runs", "list", "p", "--status", "done"),
    }
    out = {name: server.ishcd(*args, check=False) for name, args in commands.items()}
    assert [name for name, done in out.items() if done.returncode != 0] == ["bad status"]
    assert out["bad status"].returncode == 2

    projects = out["projects"].stdout.splitlines()
    assert projects[0].split() == ["MACHINE", "NAME", "NAME", "ID"]
    assert projects[1:] == [f"p             p     {project_id}"]

    rows = [line.split() for line in out["jobs"].stdout.splitlines()[1:]]
    assert rows == [["echo", "echo", jobs["echo"]], ["fail", "fail", jobs["fail"]]]

    runs = out["runs"].stdout.splitlines()
    assert runs[0].split() == [
        "ID",
        "JOB",
        "PIPELINE",
        "STATUS",
        "REASON",
        "CREATED",
        "DURATION",
    ]
    age = r"(just now|\d+ seconds? ago)"
    assert re.fullmatch(rf"{failed.id}\s+fail\s+error\s+failed\s+{age}\s+\d+s", runs[1])
    assert re.fullmatch(rf"{ok.id}\s+echo\s+complete\s+{age}\s+\d+s", runs[2])
    assert len(runs) == 3

    def ids(name: str) -> list[str]:
        return [line.split()[0] for line in out[name].stdout.splitlines()[1:]]

    assert ids("complete") == [ok.id]
    assert ids("of job") == [failed.id]
    assert ids("limit") == [failed.id]
    as_json = json.loads(out["json"].stdout)
    assert [(r["id"], r["status"], r["env"]) for r in as_json] == [(ok.id, "complete", {})]
    assert (out["none"].stdout, out["none"].stderr) == ("", "no runs\n")
