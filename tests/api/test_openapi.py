"""The OpenAPI document covers every endpoint, body, response and error."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from ishcd.api.app import PREFIX, PUBLIC, ROUTERS
from tests.api.conftest import Api

# The document is the same whatever the database: SQLite alone (tests/conftest.py database_url).
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def spec(api: Api) -> dict[str, Any]:
    response = await api.http.get("/v1/swagger.json")
    assert response.status_code == 200
    return dict(response.json())


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    ]


async def test_every_route_of_the_app_is_documented(spec: dict[str, Any]) -> None:
    routes = {
        (PREFIX + route.path_format, method.lower())  # {path:path} is {path} in the spec
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    documented = {(path, method) for path, method, _ in operations(spec)}
    assert routes == documented
    assert len(documented) >= 25


async def test_each_operation_has_a_summary_and_its_errors(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        assert operation.get("summary") or operation.get("description"), where
        responses = operation["responses"]
        success = [code for code in responses if code.startswith("2")]
        assert success, where
        if path not in PUBLIC:
            assert "401" in responses, where
            assert operation.get("security") != [], where
        if "{" in path:
            assert "404" in responses, where
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in responses, where
        for code, response in responses.items():
            if code.startswith("4"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (where, code)


async def test_error_schema_and_security_schemes(spec: dict[str, Any]) -> None:
    error = spec["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"message", "errors"}
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer"
    assert schemes["basic"]["scheme"] == "basic"
    public = [op for path, _, op in operations(spec) if path in PUBLIC]
    assert all(op["security"] == [] for op in public)


async def test_request_and_response_bodies_are_described(spec: dict[str, Any]) -> None:
    create_run = spec["paths"]["/v1/projects/{project_ish}/jobs/{job_ish}/runs"]["post"]
    assert "requestBody" in create_run
    assert create_run["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RunOut"
    }
    names = {p["name"] for p in create_run["parameters"]}
    assert {"Idempotency-Key", "request_token"} <= names
    run = spec["components"]["schemas"]["RunOut"]
    assert {"id", "status", "duration", "created", "changed", "log", "job", "project"} <= set(
        run["properties"]
    )
    log = spec["paths"]["/v1/runs/{run_id}/log"]["get"]["responses"]["200"]
    assert "text/plain" in log["content"]
    assert {"X-Next-Offset", "X-Log-Complete"} <= set(log["headers"])


async def test_swagger_ui_is_served_without_internet(api: Api) -> None:
    page = await api.http.get("/v1/documentation")
    assert page.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    script = await api.http.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert len(script.content) > 100_000


RUNNER_JOBS = {
    ("/v1/runner/jobs/request", "post"): "AssignmentOut",
    ("/v1/runner/jobs/{run_id}/heartbeat", "post"): "ControlOut",
    ("/v1/runner/jobs/{run_id}/control", "post"): "ControlOut",
    ("/v1/runner/jobs/{run_id}/log", "put"): "LogSizeOut",
    ("/v1/runner/jobs/{run_id}/sections", "put"): None,
    ("/v1/runner/jobs/{run_id}/finish", "post"): "FinishOut",
    ("/v1/runner/jobs/{run_id}/source", "get"): None,
}


async def test_the_runner_protocol_is_documented(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["runner"]["scheme"] == "bearer"
    for (path, method), model in RUNNER_JOBS.items():
        operation = spec["paths"][path][method]
        where = f"{method.upper()} {path}"
        assert operation["tags"] == ["runner"], where
        assert operation["security"] == [{"runner": []}], where  # only a runner's credential
        responses = operation["responses"]
        if model is not None:
            schema = responses["200"]["content"]["application/json"]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{model}"}, where
        if "{run_id}" in path:
            assert "409" in responses, where  # the lease
    assert "204" in spec["paths"]["/v1/runner/jobs/request"]["post"]["responses"]
    assert "204" in spec["paths"]["/v1/runner/jobs/{run_id}/sections"]["put"]["responses"]
    log = spec["paths"]["/v1/runner/jobs/{run_id}/log"]["put"]
    assert "application/octet-stream" in log["requestBody"]["content"]
    assert {"413", "416"} <= set(log["responses"])
    assert "X-Log-Size" in log["responses"]["416"]["headers"]
    finish = spec["paths"]["/v1/runner/jobs/{run_id}/finish"]["post"]
    assert "X-Log-Size" in finish["responses"]["416"]["headers"]
    source = spec["paths"]["/v1/runner/jobs/{run_id}/source"]["get"]["responses"]["200"]
    assert "application/x-git-bundle" in source["content"]
    assert spec["paths"]["/v1/runner/register"]["post"]["security"] == []
