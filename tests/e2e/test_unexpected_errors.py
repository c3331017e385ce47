"""An unexpected error (a bug) over a real kept-alive connection: a JSON 500,
the connection closed as announced, and the client goes on undisturbed.

The server is the real ``ishcd server`` with a failing route added by the test
(``tests/e2e/failing_server.py``); the product has no such route.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import LiveServer, free_port
from tests.e2e.failing_server import FAIL_PATH

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def failing_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(
        data_dir=tmp_path / "data",
        port=free_port(),
        extra_env={
            "ISHCD_RUNNER_SLOTS": "0",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        },
        command=[sys.executable, "-m", "tests.e2e.failing_server"],
    )
    server.start()
    yield server
    server.stop()


def assert_internal_error(response: httpx.Response) -> None:
    assert response.status_code == 500
    assert response.json() == {"message": "internal server error", "errors": []}
    assert response.headers["connection"] == "close"
    assert "a bug" not in response.text


def test_a_500_closes_the_kept_alive_connection_cleanly(failing_server: LiveServer) -> None:
    with failing_server.client() as client:
        for _ in range(3):
            assert_internal_error(client.get(FAIL_PATH))
            # The next request on the same client: a new connection, no reset.
            assert client.get("/v1/account").status_code == 200


def test_a_500_before_the_body_is_read_still_reaches_the_client(
    failing_server: LiveServer,
) -> None:
    with failing_server.client() as client:
        for size in (10, 1024 * 1024):
            assert_internal_error(client.post(FAIL_PATH, content=b"x" * size))
            assert client.get("/v1/account").status_code == 200


def test_the_error_is_logged_once_by_the_server(failing_server: LiveServer) -> None:
    with failing_server.client() as client:
        assert_internal_error(client.get(FAIL_PATH))
        assert client.get("/v1/account").status_code == 200
    failing_server.stop()
    output = "".join(failing_server.output)
    assert output.count("RuntimeError: a bug in a route") == 1
    assert f"unexpected error answering GET {FAIL_PATH}" in output
    assert "Exception in ASGI application" not in output
