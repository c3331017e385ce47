"""Ish CD's public API page is a contract: every curl command on it works as shown.

The commands are read from docs/contract/api-v1.md (a verbatim copy of the
page) and run with real curl against a real server, with only the host, the
token and the placeholders substituted.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveServer, needs_curl, wait_for_run

pytestmark = needs_curl

PAGE = Path(__file__).parents[2] / "docs" / "contract" / "api-v1.md"
EXAMPLE_RUN_ID = "3abed1d7-68ec-4151-ae87-edcc918315b4"
NOTICE = " [notice] Command: my-corp.test -- drush cc all [Exit: 0]"


def curl_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", PAGE.read_text(), flags=re.S)
    return [block.strip() for block in blocks if block.strip().startswith("curl")]


def substitute(command: str, server: LiveServer, run_id: str = EXAMPLE_RUN_ID) -> str:
    return (
        command.replace("https://api.ish-cd.com", server.url)
        .replace("{project-ish}", "my-corp")
        .replace("{job-ish}", "backup-prod")
        .replace("{api.token}", server.token)
        .replace(EXAMPLE_RUN_ID, run_id)
    )


def run_curl(command: str) -> tuple[int, dict[str, object]]:
    result = subprocess.run(
        ["bash", "-c", command + " --silent --write-out '\\n%{http_code}'"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(body)


@pytest.fixture(scope="module")
def project(shared_live_server: LiveServer) -> LiveServer:
    """A server with the page's project and job, shared by the module's tests (each makes runs
    of its own and reads only those)."""
    live_server = shared_live_server
    with live_server.client() as client:
        client.post("/v1/projects", json={"name": "My Corp", "machine_name": "my-corp"})
        job = {
            "name": "Backup prod",
            "script": f'echo "{NOTICE}"; echo "$VAR_NAME"',
            "variables": [{"name": "VAR_NAME"}],
        }
        assert client.post("/v1/projects/my-corp/jobs", json=job).status_code == 201
    return live_server


def test_the_page_has_the_three_curl_examples() -> None:
    commands = curl_commands()
    assert len(commands) == 3
    assert "--request POST" in commands[0]
    assert "--data" in commands[1]
    assert "--request GET" in commands[2]


def test_simple_job_trigger(project: LiveServer) -> None:
    status, run = run_curl(substitute(curl_commands()[0], project))
    assert status == 201
    assert run["status"] == "queued"
    assert run["duration"] == 0
    assert isinstance(run["created"], int)
    assert isinstance(run["changed"], int)
    assert re.fullmatch(r"[0-9a-f-]{36}", str(run["id"]))


def test_passing_variables_as_context(project: LiveServer) -> None:
    status, run = run_curl(substitute(curl_commands()[1], project))
    assert status == 201
    assert run["status"] == "queued"
    with project.client() as client:
        done = wait_for_run(client, str(run["id"]))
    assert done["log"].endswith("var-value\n")


def test_reading_a_job_run_until_complete_with_its_log(project: LiveServer) -> None:
    _, created = run_curl(substitute(curl_commands()[0], project))
    with project.client() as client:
        wait_for_run(client, str(created["id"]))
    status, run = run_curl(substitute(curl_commands()[2], project, run_id=str(created["id"])))
    assert status == 200
    assert run["id"] == created["id"]
    assert run["status"] == "complete"
    assert run["log"] == f"{NOTICE}\n\n"
    assert int(str(run["changed"])) >= int(str(run["created"]))
    assert run["duration"] == 0
