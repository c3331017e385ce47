"""``ishcd projects`` and ``ishcd jobs`` create/show/update/delete as processes against a
real server, in a narrow terminal: the output does not depend on its width."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
from pathlib import Path
from typing import Any

from ishcd.client import Client
from tests.e2e.conftest import ISHCD, LiveServer

UUID = r"[0-9a-f-]{36}"


def ishcd(
    server: LiveServer, *args: str, stdin: str = "", cwd: Path | None = None, **kw: Any
) -> subprocess.CompletedProcess[str]:
    """``ishcd ARGS`` as the server's admin, stdin piped (``stdin``), 30 columns wide."""
    env = {**server.env, "COLUMNS": "30"}
    return subprocess.run(
        [*ISHCD, *args],
        env=env,
        input=stdin,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kw,
    )


def answering(server: LiveServer, answer: str, *args: str) -> tuple[int, str]:
    """``ishcd ARGS`` on a pseudo-terminal, typing ``answer``; its exit status and output."""
    main, side = pty.openpty()
    os.write(main, answer.encode() + b"\n")
    command = [*ISHCD, *args]
    with subprocess.Popen(command, env=server.env, stdin=side, stdout=side, stderr=side) as process:
        os.close(side)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the other end closed: the process is done
                break
            if not chunk:
                break
            shown += chunk
        code = process.wait(timeout=60)
    os.close(main)
    return code, shown.decode("utf-8", "replace")


def fields(output: str) -> dict[str, str]:
    """``label: value`` lines as a dict (the value may be empty)."""
    found = {}
    for line in output.splitlines():
        label, _, value = line.partition(":")
        found[label] = value.strip()
    return found


def test_create_with_a_relative_repository_then_show(
    live_server: LiveServer, tmp_path: Path
) -> None:
    repo = tmp_path / "src" / "shop"
    repo.mkdir(parents=True)
    created = ishcd(
        live_server,
        *("projects", "create", "The Shop", "--machine-name", "shop"),
        *("--repository", "shop", "--description", "Sells things"),
        *("--default-branch", "trunk", "--log-retention-days", "7"),
        cwd=tmp_path / "src",
    )
    assert created.returncode == 0, created.stderr
    shown = ishcd(live_server, "projects", "show", "shop")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == created.stdout
    project = fields(shown.stdout)
    assert re.fullmatch(UUID, project.pop("id"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", project.pop("created"))
    assert project == {
        "name": "The Shop",
        "machine name": "shop",
        "description": "Sells things",
        "repository": str(repo.resolve()),
        "default branch": "trunk",
        "log retention": "7 days",
    }
    as_json = json.loads(ishcd(live_server, "projects", "show", "shop", "--json").stdout)
    assert as_json["repository"] == str(repo.resolve())
    assert as_json["log_retention_days"] == 7

    # A URL, or a path that is no local directory, is sent as given.
    url = "https://git.example.com/shop.git"
    other = ishcd(live_server, "projects", "create", "Other", "--repository", url)
    assert fields(other.stdout)["repository"] == url
    listed = ishcd(live_server, "projects", "list")
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [
        "MACHINE",
        "other",
        "shop",
    ]


def test_update_changes_only_what_is_given(live_server: LiveServer) -> None:
    with Client(live_server.token, host=live_server.url) as client:
        client.projects().create(
            "Shop", repository="https://example.com/shop.git", description="Sells things"
        )
    before = fields(ishcd(live_server, "projects", "show", "shop").stdout)

    updated = ishcd(live_server, "projects", "update", "shop", "--default-branch", "trunk")
    assert updated.returncode == 0, updated.stderr
    assert fields(updated.stdout) == {**before, "default branch": "trunk"}

    cleared = ishcd(
        live_server, "projects", "update", "shop", "--description", "", "--name", "Shop 2"
    )
    assert fields(cleared.stdout) == {
        **before,
        "name": "Shop 2",
        "default branch": "trunk",
        "description": "",
    }
    assert fields(ishcd(live_server, "projects", "show", "shop").stdout) == fields(cleared.stdout)

    nothing = ishcd(live_server, "projects", "update", "shop")
    assert nothing.returncode == 2
    assert "nothing to change" in nothing.stderr


def test_a_duplicate_machine_name_is_the_apis_error_once(live_server: LiveServer) -> None:
    assert ishcd(live_server, "projects", "create", "Shop").returncode == 0
    again = ishcd(live_server, "projects", "create", "Shop", "--machine-name", "shop")
    assert again.returncode == 1
    assert again.stdout == ""
    assert again.stderr == "error: machine_name 'shop' is taken\n"
    missing = ishcd(live_server, "projects", "show", "nope")
    assert missing.returncode == 1
    assert missing.stderr.count("error:") == 1


def test_delete_needs_yes_when_piped(live_server: LiveServer) -> None:
    with Client(live_server.token, host=live_server.url) as client:
        client.projects().create("Shop")
        client.projects("shop").jobs().create("Build", "true")

    refused = ishcd(live_server, "jobs", "delete", "shop", "build")
    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    refused = ishcd(live_server, "projects", "delete", "shop")
    assert refused.returncode == 2
    assert "pass --yes" in refused.stderr
    assert ishcd(live_server, "jobs", "show", "shop", "build").returncode == 0

    deleted = ishcd(live_server, "jobs", "delete", "shop", "build", "--yes")
    assert (deleted.returncode, deleted.stdout) == (0, "deleted job build of shop\n")
    assert ishcd(live_server, "jobs", "list", "shop").stderr == "no jobs\n"
    deleted = ishcd(live_server, "projects", "delete", "shop", "--yes")
    assert (deleted.returncode, deleted.stdout) == (0, "deleted project shop\n")
    gone = ishcd(live_server, "projects", "show", "shop")
    assert gone.returncode == 1
    assert gone.stderr.count("error:") == 1


def test_jobs_from_stdin_and_from_a_file_then_run(live_server: LiveServer, tmp_path: Path) -> None:
    assert ishcd(live_server, "projects", "create", "Shop").returncode == 0

    piped = ishcd(
        live_server, "jobs", "create", "shop", "Hello", "--script", "-", stdin="echo hi\n"
    )
    assert piped.returncode == 0, piped.stderr
    hello = fields(piped.stdout)
    assert (hello["machine name"], hello["timeout"], hello["variables"]) == (
        "hello",
        "the server's",
        "",
    )
    assert piped.stdout.endswith("script:\n  echo hi\n")

    script = tmp_path / "deploy.sh"
    script.write_text('echo "to $TARGET as ${WHO:-nobody}"\n')
    made = ishcd(
        live_server,
        *("jobs", "create", "shop", "Deploy", "--script-file", str(script)),
        *("--variable", "TARGET=staging", "--variable", "WHO", "--timeout", "60"),
    )
    assert made.returncode == 0, made.stderr
    shown = ishcd(live_server, "jobs", "show", "shop", "deploy")
    assert shown.stdout == made.stdout
    deploy = fields(shown.stdout)
    assert (deploy["project"], deploy["timeout"], deploy["variables"]) == (
        "shop",
        "60s",
        "TARGET=staging, WHO",
    )
    as_json = json.loads(ishcd(live_server, "jobs", "show", "shop", "deploy", "--json").stdout)
    assert [(v["name"], v["default"]) for v in as_json["variables"]] == [
        ("TARGET", "staging"),
        ("WHO", None),
    ]
    listed = ishcd(live_server, "jobs", "list", "shop")
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [
        "MACHINE",
        "deploy",
        "hello",
    ]

    ran = ishcd(live_server, "run", "shop/deploy", "--wait")
    assert ran.returncode == 0, ran.stderr
    done = re.search(rf"run ({UUID}) complete after \d+s, exit code 0\n", ran.stdout)
    assert done, ran.stdout
    log = ishcd(live_server, "runs", "log", done.group(1))
    assert log.stdout == "to staging as nobody\n"

    no_script = ishcd(live_server, "jobs", "create", "shop", "X")
    assert no_script.returncode == 2
    assert "--script-file" in no_script.stderr
    both = ishcd(
        live_server, "jobs", "create", "shop", "X", "--script", "-", "--script-file", str(script)
    )
    assert both.returncode == 2
    bad = ishcd(live_server, "jobs", "create", "shop", "X", "--script", "true", "--variable", "=x")
    assert bad.returncode == 2
    assert "NAME=DEFAULT" in bad.stderr


def test_delete_asks_on_a_terminal(live_server: LiveServer) -> None:
    with Client(live_server.token, host=live_server.url) as client:
        client.projects().create("Shop")
    code, shown = answering(live_server, "n", "projects", "delete", "shop")
    assert "Delete project shop with its jobs, pipelines, runs and logs? [y/N]" in shown
    assert (code, "error: not deleted" in shown) == (1, True)
    assert ishcd(live_server, "projects", "show", "shop").returncode == 0
    code, shown = answering(live_server, "y", "projects", "delete", "shop")
    assert (code, "deleted project shop" in shown) == (0, True)
    assert ishcd(live_server, "projects", "show", "shop").returncode == 1
