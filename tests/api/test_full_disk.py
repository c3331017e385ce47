"""A full disk: new runs end setup_failed saying so, running ones go on, the API answers.

Real ENOSPC, not mocks: the data directory's ``logs/`` or ``runs/`` is a tiny
tmpfs (mounting one needs root; without it these tests are skipped).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ishcd import disk
from tests.api.conftest import Api

TMPFS_BYTES = 1024 * 1024


@pytest.fixture
def tiny_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """``<data dir>/logs`` (or the directory parametrized) on a 1 MiB tmpfs."""
    where = tmp_path / "data" / getattr(request, "param", "logs")
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"full-disk tests mount a tmpfs, which needs root: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(where: Path, leave: int) -> Path:
    """Fill the device holding ``where`` until about ``leave`` bytes are free."""
    filler = where / "filler"
    with open(filler, "wb") as out:
        while disk.free_bytes(where) > leave:
            try:
                out.write(b"\0" * min(64 * 1024, disk.free_bytes(where) - leave))
                out.flush()
            except OSError:
                break
    return filler


@pytest.fixture
def min_free(request: pytest.FixtureRequest) -> int:
    return int(getattr(request, "param", 512 * 1024))


@pytest.fixture
def settings_overrides(tiny_dir: Path, min_free: int) -> dict[str, Any]:
    return {"min_free_bytes": min_free, "log_store": "file"}  # logs on the tiny disk


async def test_below_the_minimum_new_runs_end_setup_failed_saying_why(
    api: Api, tiny_dir: Path
) -> None:
    await api.project("Ops")
    await api.job("ops", "echo ran", name="j")
    filler = fill(tiny_dir, 256 * 1024)
    runs = [await api.start("ops", "j") for _ in range(3)]
    for run in runs:
        ended = await api.wait(run["id"])
        assert ended["status"] == "error"
        assert ended["error_reason"] == "setup_failed"
        # The note is written just after the run's end commits (a known short race).
        for _ in range(100):
            if ended["log"] is not None:
                break
            await asyncio.sleep(0.05)
            ended = (await api.get(f"/v1/runs/{run['id']}")).json()
        assert ended["log"].startswith(
            f"[ishcd] no space left on the device holding the run logs ({tiny_dir})"
        )
        assert "ISHCD_MIN_FREE_BYTES" in ended["log"]
    # The server goes on answering.
    assert (await api.get("/v1/health")).status_code == 200
    assert len((await api.get("/v1/projects/ops/runs")).json()) == 3
    # Space freed: runs start again.
    filler.unlink()
    again = await api.wait((await api.start("ops", "j"))["id"])
    assert again["status"] == "complete"
    assert again["log"] == "ran\n"


@pytest.mark.parametrize("tiny_dir", ["runs"], indirect=True)
@pytest.mark.parametrize("min_free", [0], indirect=True)
async def test_a_full_workspace_device_ends_the_run_setup_failed(api: Api, tiny_dir: Path) -> None:
    await api.project("Ops")
    await api.job("ops", "echo ran", name="j")
    fill(tiny_dir, 0)
    run = await api.wait((await api.start("ops", "j"))["id"])
    assert run["status"] == "error"
    assert run["error_reason"] == "setup_failed"
    assert "No space left on device" in run["log"]
    assert (await api.get("/v1/health")).status_code == 200


@pytest.mark.parametrize("min_free", [0], indirect=True)
async def test_a_log_that_fills_the_disk_loses_output_but_the_run_goes_on(
    api: Api, tiny_dir: Path, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    printed = 600_000
    script = (
        f"head -c {printed} /dev/zero | tr '\\0' a; echo; "
        f"while [ ! -e {go} ]; do sleep 0.02; done; echo end; exit 7"
    )
    await api.project("Ops")
    await api.job("ops", script, name="j")
    filler = fill(tiny_dir, 256 * 1024)
    run = await api.start("ops", "j")
    logs = api.server.logs
    deadline = time.monotonic() + 60
    while await logs.received(run["id"]) < printed + 1:
        assert time.monotonic() < deadline, "the output never arrived"
        await asyncio.sleep(0.02)
    assert (await api.get(f"/v1/runs/{run['id']}")).json()["status"] == "running"
    assert (await api.get("/v1/health")).status_code == 200
    filler.unlink()  # the operator frees space; the run's log stays cut
    go.touch()
    ended = await api.wait(run["id"])
    assert ended["status"] == "error"
    assert ended["error_reason"] == "failed"
    assert ended["exit_code"] == 7  # its own exit code
    text = ended["log"]
    kept = text.index("\n[ishcd] ")
    assert 0 < kept < printed
    assert text[:kept] == "a" * kept
    lost = printed + len("\nend\n") - kept
    assert text[kept:] == (
        f"\n[ishcd] {lost} bytes of log lost here: "
        f"no space left on the device holding the run logs ({tiny_dir})\n"
    )
    raw = await api.get(f"/v1/runs/{run['id']}/log")
    assert raw.text == text
