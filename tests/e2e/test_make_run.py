"""The README's first command: ``make run`` installs, then serves on the given port."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.e2e.conftest import free_port

ROOT = Path(__file__).parents[2]


def without_venv(path: str) -> str:
    """PATH as a new user has it: this checkout's virtualenv not activated."""
    venv = str(ROOT / ".venv" / "bin")
    return os.pathsep.join(part for part in path.split(os.pathsep) if part != venv)


def test_make_run_serves_the_api_with_its_data_in_the_data_dir(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "ishcd-data"
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}", f"DATA_DIR={data}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PATH": without_venv(os.environ.get("PATH", ""))},
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("make run did not come up")
        assert health.json()["status"] == "ok"
        # The web UI: the root shows the login page.
        root = httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=True, timeout=10)
        assert str(root.url) == f"http://127.0.0.1:{port}/login"
        assert 'name="password"' in root.text
        assert (data / "ishcd.db").exists()
        assert (data / "secret.key").exists()
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        output, _ = make.communicate(timeout=60)
    assert "API token:" in output
    assert f"--port {port} --data-dir {data}" in output
    # ishcd is not on the PATH after make run: the hint names it where it is
    assert f"  .venv/bin/ishcd login http://127.0.0.1:{port}    (as admin," in output
    assert f"  http://127.0.0.1:{port}/    (the web UI: sign in as admin," in output
