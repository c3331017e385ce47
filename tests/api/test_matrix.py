"""The authorization matrix: every operation by every principal, through the real API.

The table (``matrix_table``) must cover exactly the operations of the OpenAPI
document, so a new endpoint fails here until it has an entry. Cells of an
operation that changes things build a world of their own, and the cells of
a GET share one; so one server per database serves them all (starting one
per cell would cost more than all the cells together).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests import databases
from tests.api import matrix_world
from tests.api.conftest import Api, make_settings, serving
from tests.api.matrix_table import JOB, TABLE, Call, Operation, P
from tests.api.matrix_world import (
    ANONYMOUS,
    PRINCIPALS,
    SESSIONS,
    SITE_ADMIN,
    WRITE,
    WRITE_SESSION,
    WRITE_SESSION_NO_CSRF,
    World,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Cells where the server breaks the rules: (method, path, principal) -> why.
# Each is a strict xfail, so fixing the server makes the test say so.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}


def _cells() -> list[Any]:
    cells = []
    for operation in TABLE:
        for who in PRINCIPALS:
            bug = KNOWN_BUGS.get((*operation.key, who))
            marks = [pytest.mark.xfail(strict=True, reason=f"server bug: {bug}")] if bug else []
            name = f"{operation.method} {operation.path} {who}"
            cells.append(pytest.param(operation, who, id=name, marks=marks))
    return cells


def _session_cells() -> list[Any]:
    """GET operations: a cell per session (they share the GET's world). An unsafe operation
    that needs authentication: one cell for both sessions, in one world of its own (the
    request without the CSRF token is refused before anything else, so it changes nothing
    that the request with the token then meets). A public unsafe operation: a cell per
    session (each succeeds, so each needs a world of its own)."""
    cells = []
    for operation in TABLE:
        if operation.method == "GET" or _public(operation):
            cells += [
                pytest.param(operation, (who,), id=f"{operation.method} {operation.path} {who}")
                for who in SESSIONS
            ]
        else:
            name = f"{operation.method} {operation.path} {WRITE_SESSION_NO_CSRF}+{WRITE_SESSION}"
            cells.append(pytest.param(operation, (WRITE_SESSION_NO_CSRF, WRITE_SESSION), id=name))
    return cells


def _public(operation: Operation) -> bool:
    return operation.expected[ANONYMOUS] != 401


def session_expected(operation: Operation, who: str) -> int:
    """A login session acts as its account (the write member); without the CSRF token,
    an unsafe request that needs authentication is refused before anything else."""
    if set(operation.expected.values()) == {401}:
        return 401  # no user's credential works there (the runner protocol)
    as_member = operation.expected[WRITE]
    if who == WRITE_SESSION or _public(operation) or operation.method in ("GET", "HEAD", "OPTIONS"):
        return as_member
    return 403


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgresql"])
async def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_templates: databases.SQLiteTemplates,
    postgres_templates: databases.PostgresTemplates,
) -> AsyncIterator[Api]:
    """One server on each database, with no runner: runs stay queued."""
    tmp = tmp_path_factory.mktemp("matrix")
    if request.param == "sqlite":
        url = await sqlite_templates.clone(tmp / "data" / "ishcd.db")
    elif databases.POSTGRES_URL is None:
        pytest.skip(databases.SKIP_POSTGRES)
    else:
        url = await postgres_templates.clone()
    try:
        async with serving(make_settings(tmp, url, runner_slots=0)) as api:
            yield api
    finally:
        if request.param == "postgresql":
            await postgres_templates.drop(url)


@pytest.fixture(scope="module")
def shared_worlds(server: Api) -> dict[tuple[str, str], tuple[World, Call]]:
    """The world of each GET operation, with its request, shared by its cells."""
    return {}


async def _world(
    server: Api, shared: dict[tuple[str, str], tuple[World, Call]], operation: Operation, who: str
) -> tuple[World, Call]:
    if operation.method != "GET":
        world = await matrix_world.build(server)
        return world, await operation.prepare(world, who)
    if operation.key not in shared:
        world = await matrix_world.build(server)
        # Prepared for no principal in particular: a GET's preparation ignores who.
        shared[operation.key] = (world, await operation.prepare(world, SITE_ADMIN))
    return shared[operation.key]


@pytest.fixture
async def spec(server: Api) -> dict[str, Any]:
    response = await server.http.get("/v1/swagger.json")
    assert response.status_code == 200
    return dict(response.json())


async def test_the_table_covers_every_operation_once(spec: dict[str, Any]) -> None:
    documented = {(m.upper(), path) for path, methods in spec["paths"].items() for m in methods}
    keys = [operation.key for operation in TABLE]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    missing = sorted(documented - set(keys))
    stale = sorted(set(keys) - documented)
    problems = [f"no entry in matrix_table.TABLE: {m} {p}" for m, p in missing]
    problems += [f"entry for an operation the API no longer has: {m} {p}" for m, p in stale]
    problems += [f"more than one entry: {m} {p}" for m, p in twice]
    assert not problems, "\n".join(problems)
    assert all(set(operation.expected) == set(PRINCIPALS) for operation in TABLE)


async def test_the_table_is_public_exactly_where_the_document_is(spec: dict[str, Any]) -> None:
    """Public: no security at all, or none as one of the choices (badges: a token, or
    the badge key); anonymous callers get something else than a 401 there."""
    public = {
        (m.upper(), path)
        for path, methods in spec["paths"].items()
        for m, operation in methods.items()
        if operation.get("security") == [] or {} in operation.get("security", [None])
    }
    anonymous_allowed = {op.key for op in TABLE if op.expected[ANONYMOUS] != 401}
    problems = [
        f"public in the document, not in the table: {m} {p}" for m, p in public - anonymous_allowed
    ]
    problems += [
        f"public in the table, not in the document: {m} {p}" for m, p in anonymous_allowed - public
    ]
    assert not problems, "\n".join(sorted(problems))


@pytest.mark.parametrize(("operation", "who"), _cells())
async def test_matrix(
    server: Api,
    shared_worlds: dict[tuple[str, str], tuple[World, Call]],
    operation: Operation,
    who: str,
) -> None:
    world, call = await _world(server, shared_worlds, operation, who)
    url = operation.url(world, call)
    response = await server.http.request(
        operation.method, url, headers=world.headers(who), json=call.json, params=call.query
    )
    expected = operation.expected[who]
    assert response.status_code == expected, (
        f"{operation.method} {operation.path} as {who}: expected {expected}, "
        f"got {response.status_code}\n  {operation.method} {url}\n  {response.text[:500]}"
    )


@pytest.mark.parametrize(("operation", "sessions"), _session_cells())
async def test_matrix_by_login_session(
    server: Api,
    shared_worlds: dict[tuple[str, str], tuple[World, Call]],
    operation: Operation,
    sessions: tuple[str, ...],
) -> None:
    """Every operation through the web UI's login session, with and without its CSRF token."""
    if operation.method == "GET":
        world, call = await _world(server, shared_worlds, operation, sessions[0])
    else:
        world = await matrix_world.build(server)
        call = await operation.prepare(world, WRITE)
    url = operation.url(world, call)
    for who in sessions:
        response = await server.http.request(
            operation.method, url, headers=world.headers(who), json=call.json, params=call.query
        )
        expected = session_expected(operation, who)
        assert response.status_code == expected, (
            f"{operation.method} {operation.path} as {who}: expected {expected}, "
            f"got {response.status_code}\n  {operation.method} {url}\n  {response.text[:500]}"
        )


BADGES = {("GET", P + "/badge.svg"), ("GET", JOB + "/badge.svg")}


class _AnyId(dict[str, str]):
    """Path parameters of a request refused before anything is looked up: any id."""

    def __missing__(self, name: str) -> str:
        return str(uuid.uuid4())


async def test_a_badge_key_opens_nothing_else(server: Api) -> None:
    """Every other operation, sent with a badge key as ``?key=`` (and as a token),
    answers what an anonymous caller gets: the key reads badges and only them."""
    shared = await matrix_world.build(server)
    problems = []
    for operation in TABLE:
        anonymous = operation.expected[ANONYMOUS]
        if anonymous == 401:  # refused before anything is looked up
            world, call = shared, Call()
            url = operation.path.format_map(_AnyId(project_ish=world.project["id"]))
        else:
            world = await matrix_world.build(server)
            call = await operation.prepare(world, SITE_ADMIN)
            url = operation.url(world, call)
        shown = await world.setup("GET", world.project_path)
        key = shown["badge"]["url"].partition("?key=")[2]
        assert key
        expected = 200 if operation.key in BADGES else anonymous
        # As a token too, where a token matters (public operations ignore one).
        as_token = [{"Authorization": f"Bearer {key}"}] if anonymous in (401, 404) else []
        for headers in [{}, *as_token]:
            response = await server.http.request(
                operation.method,
                url,
                headers=headers,
                json=call.json,
                params={**(call.query or {}), "key": key},
            )
            wanted = 401 if headers else expected
            if response.status_code != wanted:
                problems.append(f"{operation.method} {url} {headers}: {response.status_code}")
    assert not problems, "\n".join(problems)
