from __future__ import annotations

from tests.api.conftest import Api


async def test_health_needs_no_auth(api: Api) -> None:
    response = await api.http.get("/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_a_run_goes_from_queued_to_complete(api: Api) -> None:
    await api.project("My Corp")
    await api.job("my-corp", "echo hello", name="Hello")
    run = await api.start("my-corp", "hello")
    assert run["status"] == "queued"
    done = await api.wait(run["id"])
    assert done["status"] == "complete"
    assert done["log"] == "hello\n"
