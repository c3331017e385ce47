"""Schemathesis over the whole OpenAPI document of a real server (issue 8, guard rail).

Every operation of ``/v1/swagger.json`` is fuzzed with data that fits its
schema and with data that does not, as the first admin (the token the server
prints on its first start), against a real ``ishcd server`` process. It fails
on any 5xx, any status code the document does not list for the operation, and
any response whose body, headers or content type do not match the document.

Nothing is excluded. The fuzzer's token cannot be taken from it: its id is a
random UUID it is never shown (so ``DELETE /v1/tokens/{id}`` cannot hit it),
and the first admin cannot be disabled or deleted while it is the last site
admin. Were it locked out anyway, ``still_authenticated`` fails the run rather
than letting every later request quietly answer 401.

Random path parameters name nothing, so most requests would stop at a 404.
Each operation with path parameters is fuzzed a second time with them
pinned to things that exist (a project, a job, a run, a user, an env var, a
credential made first), so bodies and queries reach the services too. The
server runs no scripts (``ISHCD_RUNNER_SLOTS=0``): the fuzzer writes jobs.

Seeded (Hypothesis ``derandomize``), so a run is repeatable. The default
budget takes about a minute on two cores; ``make fuzz`` runs a longer one on
SQLite and PostgreSQL (``ISHCD_FUZZ_EXAMPLES``, ``ISHCD_FUZZ_DATABASES``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi import checks

from tests.e2e.conftest import LiveServer, free_port

EXAMPLES = int(os.environ.get("ISHCD_FUZZ_EXAMPLES", "10"))
DATABASES = os.environ.get("ISHCD_FUZZ_DATABASES", "sqlite").split(",")
PUBLIC = ("/v1/health", "/v1/auth/", "/v1/invitations/", "/v1/runner/register")
RUNNER = "/v1/runner/jobs"  # called with a runner's credential, not the fuzzer's token


def still_authenticated(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request with the fuzzer's token is never a 401: the token was not lost.

    Negative data may leave the credential out (an operation with one security
    scheme): then 401 is the right answer.
    """
    if "authorization" not in {name.lower() for name in response.request.headers}:
        return None
    if response.status_code == 401 and not case.path.startswith(PUBLIC):
        raise AssertionError(f"{case.method} {case.path}: 401 with a valid token")
    return None


CHECKS = [
    not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    still_authenticated,
]


@pytest.fixture(params=["sqlite", "postgresql"])
def fuzz_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    if request.param not in DATABASES:
        pytest.skip(f"fuzzing on {request.param} is for make fuzz (ISHCD_FUZZ_DATABASES)")
    url = request.getfixturevalue("empty_postgres_url") if request.param == "postgresql" else None
    server = LiveServer(
        data_dir=tmp_path / "data",
        port=free_port(),
        database_url=url,
        # Agents' requests are held a moment, not the 30 s an agent may ask for.
        extra_env={"ISHCD_RUNNER_SLOTS": "0", "ISHCD_RUNNER_MAX_WAIT": "0.2"},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def make_world(server: LiveServer) -> dict[str, str]:
    """Things for path parameters to name: {parameter: value}."""
    with server.client() as client:

        def made(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = client.post(path, json=body)
            assert response.status_code == 201, response.text
            return dict(response.json())

        made("/v1/projects", {"name": "ops"})
        made("/v1/projects/ops/jobs", {"name": "j", "script": "true", "variables": [{"name": "A"}]})
        run = made("/v1/projects/ops/jobs/j/runs", {"env": {"A": "1"}})
        made("/v1/users", {"username": "someone"})
        made("/v1/projects/ops/envvars", {"name": "E", "value": "v"})
        credential = made("/v1/credentials", {"name": "c", "env": "C", "value": "v"})
        registration = made("/v1/runners/registration-tokens", {"description": "fuzz"})
        runner = made("/v1/runner/register", {"token": registration["token"], "name": "fuzz"})
    return {
        "runner_credential": runner["credential"],  # names no path parameter
        "project_ish": "ops",
        "job_ish": "j",
        "run_id": run["id"],
        "user_ish": "someone",
        "name": "E",
        "credential_id": credential["id"],
    }


def pinned(operation: Any, world: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in world.items() if f"{{{name}}}" in operation.path}


def fuzz_operation(
    operation: Any,
    server: LiveServer,
    mode: GenerationMode,
    statuses: Counter[int],
    runner_token: str,
    path_parameters: dict[str, str] | None = None,
) -> str | None:
    """Fuzz one operation; what it found, or None."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case: Any) -> None:
        token = runner_token if case.path.startswith(RUNNER) else server.token
        response = case.call_and_validate(
            base_url=server.url,
            headers={"Authorization": f"Bearer {token}"},
            checks=CHECKS,
            timeout=30,
        )
        statuses[response.status_code] += 1

    try:
        run()
    except Unsatisfiable:
        return None  # nothing invalid can be made: the operation takes no input
    except (Exception, BaseExceptionGroup) as exc:
        where = f", path {path_parameters}" if path_parameters else ""
        return f"{operation.label} ({mode.value} data{where}): {describe(exc)}"
    return None


def describe(exc: BaseException) -> str:
    """An exception with every exception it groups."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, BaseExceptionGroup):
        text += "".join(f"\n  - {describe(inner)}" for inner in exc.exceptions)
    return text


@pytest.mark.timeout(max(600, 60 * EXAMPLES))
def test_fuzz_every_operation(fuzz_server: LiveServer) -> None:
    url = f"{fuzz_server.url}/v1/swagger.json"
    schema = schemathesis.openapi.from_url(url, wait_for_schema=30)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # every operation of the document loads
        operations.append(result.ok())
    world = make_world(fuzz_server)
    statuses: Counter[int] = Counter()
    found: list[str | None] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            runner = world["runner_credential"]
            found.append(fuzz_operation(operation, fuzz_server, mode, statuses, runner))
            if pins := pinned(operation, world):
                found.append(fuzz_operation(operation, fuzz_server, mode, statuses, runner, pins))
    failures = [failure for failure in found if failure]
    assert len(operations) > 50
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
    assert statuses[200] + statuses[201] + statuses[204] > len(operations), statuses
    with fuzz_server.client() as client:
        assert client.get("/v1/account").status_code == 200
