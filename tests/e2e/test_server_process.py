from __future__ import annotations

from tests.e2e.conftest import LiveServer, wait_for_run


def test_first_start_prints_admin_password_token_and_a_curl_line(live_server: LiveServer) -> None:
    out = "".join(live_server.output)
    assert "user:      admin" in out
    assert live_server.password
    assert (
        f"curl -H 'Authorization: Bearer {live_server.token}' {live_server.url}/v1/account" in out
    )
    with live_server.client() as client:
        assert client.get("/v1/account").json()["username"] == "admin"


def test_a_restart_does_not_create_another_admin(live_server: LiveServer) -> None:
    live_server.output.clear()
    token = live_server.token
    live_server.restart()
    assert "API token" not in "".join(live_server.output)
    with live_server.client(token) as client:
        assert client.get("/v1/account").status_code == 200


def test_runs_real_bash_through_real_http(live_server: LiveServer) -> None:
    with live_server.client() as client:
        assert client.post("/v1/projects", json={"name": "p"}).status_code == 201
        job = {"name": "j", "script": "echo $ISHCD_PROJECT/$ISHCD_JOB"}
        assert client.post("/v1/projects/p/jobs", json=job).status_code == 201
        run = client.post("/v1/projects/p/jobs/j/runs").json()
        done = wait_for_run(client, run["id"])
    assert done["status"] == "complete"
    assert done["log"] == "p/j\n"
