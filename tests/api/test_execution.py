"""How runs execute: environment, workspace, process groups, cancel, timeout."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api

NO_RUNNER = pytest.mark.parametrize("settings_overrides", [{"runner_slots": 0}])


@pytest.fixture
async def project(api: Api) -> dict[str, Any]:
    return await api.project("Ops")


async def run_script(api: Api, script: str, **job: Any) -> dict[str, Any]:
    name = job.pop("name", "j")
    await api.job("ops", script, name=name, **job)
    return await api.wait((await api.start("ops", name))["id"])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


async def wait_for_file(path: Path, timeout: float = 10) -> str:
    for _ in range(int(timeout / 0.02)):
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


async def test_environment_is_clean_plus_builtins_and_variables(
    api: Api, project: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVER_ONLY_SECRET", "leak")
    run = await run_script(api, "env | sort", variables=[{"name": "GREETING", "default": "hi"}])
    env = dict(line.split("=", 1) for line in run["log"].splitlines())
    assert "SERVER_ONLY_SECRET" not in env
    assert env["ISHCD_RUN_ID"] == run["id"]
    assert env["ISHCD_PROJECT"] == "ops"
    assert env["ISHCD_JOB"] == "j"
    assert env["GREETING"] == "hi"
    assert env["PATH"] == os.environ["PATH"]
    assert {"HOME", "LANG"} <= set(env)
    assert set(env) - {"PWD", "SHLVL", "_", "OLDPWD"} == {
        "PATH",
        "HOME",
        "LANG",
        "GREETING",
        "CI",
        "ISHCD",
        "ISHCD_RUN_ID",
        "ISHCD_PROJECT",
        "ISHCD_JOB",
        "ISHCD_WORKSPACE",
    }


async def test_each_run_gets_a_fresh_workspace_removed_afterwards(
    api: Api, project: dict[str, Any]
) -> None:
    script = 'test -z "$(ls -A)"; test "$PWD" = "$ISHCD_WORKSPACE"; touch made-here; pwd'
    first = await run_script(api, script)
    second = await api.wait((await api.start("ops", "j"))["id"])
    assert first["status"] == second["status"] == "complete"
    assert first["log"] != second["log"]
    assert not Path(first["log"].strip()).exists()


async def test_stdout_and_stderr_are_merged_in_order(api: Api, project: dict[str, Any]) -> None:
    run = await run_script(api, "echo 1; echo 2 >&2; echo 3; echo 4 >&2")
    assert run["log"] == "1\n2\n3\n4\n"


async def test_a_runner_that_cannot_start_bash_ends_setup_failed(
    api: Api, project: dict[str, Any]
) -> None:
    run = await run_script(api, "true", variables=[{"name": "PATH", "default": "/nonexistent"}])
    assert run["status"] == "error"
    assert run["error_reason"] == "setup_failed"
    assert "could not start the run" in run["log"]


async def test_cancel_a_running_run_ends_its_whole_process_group(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    await api.job("ops", f"sleep 300 & echo $! > {pids}; echo started; wait", name="j")
    run = await api.start("ops", "j")
    child = int(await wait_for_file(pids))
    assert alive(child)
    response = await api.post(f"/v1/projects/ops/jobs/j/runs/{run['id']}/cancel")
    assert response.status_code == 200
    done = await api.wait(run["id"])
    assert done["status"] == "error"
    assert done["error_reason"] == "canceled"
    assert "run canceled" in done["log"]
    assert not alive(child)


async def test_cancel_escalates_to_kill_when_term_is_ignored(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    ready = tmp_path / "ready"
    await api.job(
        "ops", f"trap '' TERM; echo x > {ready}; while true; do sleep 0.1; done", name="j"
    )
    run = await api.start("ops", "j")
    await wait_for_file(ready)
    await api.post(f"/v1/runs/{run['id']}/cancel")
    done = await api.wait(run["id"], timeout=15)
    assert done["error_reason"] == "canceled"
    assert done["exit_code"] == 137  # SIGKILL after the grace period


@NO_RUNNER
async def test_cancel_a_queued_run_ends_it_at_once(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "true", name="j")
    run = await api.start("ops", "j")
    response = await api.post(f"/v1/runs/{run['id']}/cancel")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "error"
    assert body["error_reason"] == "canceled"
    assert body["finished"] is not None
    assert body["duration"] == 0


async def test_cancel_a_finished_run_is_409(api: Api, project: dict[str, Any]) -> None:
    run = await run_script(api, "true")
    response = await api.post(f"/v1/runs/{run['id']}/cancel")
    assert response.status_code == 409
    assert (await api.get(f"/v1/runs/{run['id']}")).json()["status"] == "complete"


async def test_timeout_ends_the_run_timed_out(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    run = await run_script(api, f"sleep 300 & echo $! > {pids}; wait", timeout=1)
    assert run["status"] == "error"
    assert run["error_reason"] == "timed_out"
    assert "timed out after 1 s" in run["log"]
    assert not alive(int(pids.read_text()))


async def test_leftover_background_processes_are_killed_when_the_script_ends(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    run = await run_script(
        api, f"(sleep 300 >/dev/null 2>&1 &) ; sleep 300 >/dev/null & echo $! > {pids}"
    )
    assert run["status"] == "complete"
    await asyncio.sleep(0.2)
    assert not alive(int(pids.read_text()))


async def test_slots_bound_how_many_runs_execute_at_once(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    await api.job(
        "ops",
        f"touch {marks}/$ISHCD_RUN_ID; sleep 0.5; ls {marks} | wc -l; rm {marks}/$ISHCD_RUN_ID",
        name="j",
    )
    runs = [await api.start("ops", "j") for _ in range(4)]
    done = [await api.wait(r["id"]) for r in runs]
    assert max(int(d["log"]) for d in done) == 2  # the api fixture's runner has 2 slots


async def test_a_process_that_left_the_group_is_found_and_killed(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    # setsid escapes the process group but keeps stdout: the run must still end.
    script = (
        f"setsid sh -c 'echo $$ > {pids}; exec sleep 300' &\n"
        f"while [ ! -s {pids} ]; do sleep 0.01; done\necho done"
    )
    run = await run_script(api, script)
    assert run["status"] == "complete"
    assert run["log"].startswith("done\n")
    assert "killed 1 processes the run left running" in run["log"]
    await asyncio.sleep(0.2)
    assert not alive(int(pids.read_text()))


@pytest.mark.parametrize("settings_overrides", [{"runner_slots": 1}])
async def test_the_oldest_queued_run_goes_first(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    order = tmp_path / "order"
    await api.job("ops", f"echo $ISHCD_RUN_ID >> {order}", name="j")
    runs = [await api.start("ops", "j") for _ in range(6)]
    for run in runs:
        await api.wait(run["id"])
    assert order.read_text().split() == [run["id"] for run in runs]
