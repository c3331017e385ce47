"""The authorization matrix: every API operation, and the status each principal gets.

Rows are operations, keyed by method and OpenAPI path; each says how to make
its request in a fresh world (``matrix_world``) and what every principal
must get. The expectations are written with the rules of DESIGN.md#Security:

- ``public``: no authentication; everyone gets the same success.
- ``account``: about the caller's own account; project tokens are refused
  (403), anonymous callers get 401 as everywhere else.
- ``site_admins``: site admins only; 403 for every other caller.
- ``in_project(need, ok)``: in the world's project; whoever cannot see it
  gets 404 (as for a missing project), whoever sees it without the role
  ``need`` gets 403. The project token acts as a ``write`` member; site
  admins, members or not, as an ``admin``.

Targets are chosen to probe escalation: a reader changes its own
membership, a writer removes its own, a project token revokes itself or
its maker's account token, an account makes itself site admin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ishcd.db import caches as caches_db
from tests.api.kept_artifacts import keep_artifact
from tests.api.matrix_world import (
    ACCOUNTS,
    ADMIN,
    ANONYMOUS,
    FOREIGN_TOKEN,
    NO_ROLE,
    OTHER_SITE_ADMIN,
    PRINCIPALS,
    PROJECT_TOKEN,
    READ,
    SITE_ADMIN,
    WRITE,
    World,
)

Expected = dict[str, int]
_RANK = {READ: 0, WRITE: 1, ADMIN: 2}
# The role each principal that can see the project acts with in it.
_ROLE_IN_PROJECT = {
    READ: READ,
    WRITE: WRITE,
    ADMIN: ADMIN,
    PROJECT_TOKEN: WRITE,
    SITE_ADMIN: ADMIN,
    OTHER_SITE_ADMIN: ADMIN,
}


def public(ok: int) -> Expected:
    return dict.fromkeys(PRINCIPALS, ok)


def account(ok: int) -> Expected:
    return {**dict.fromkeys(PRINCIPALS, 403), ANONYMOUS: 401, **dict.fromkeys(ACCOUNTS, ok)}


def signed_in(ok: int) -> Expected:
    """Anyone authenticated, account or project token: ``ok`` (a search, filtered by access)."""
    return {**dict.fromkeys(PRINCIPALS, ok), ANONYMOUS: 401}


def site_admins(ok: int) -> Expected:
    return {**dict.fromkeys(PRINCIPALS, 403), ANONYMOUS: 401, SITE_ADMIN: ok, OTHER_SITE_ADMIN: ok}


def badges_of_project(ok: int) -> Expected:
    """A status badge: whoever may read the project; anyone else (anonymous callers
    too) gets 404, as for a missing project. The badge key (?key=) and public_badges
    open it to anonymous callers: tests/api/test_badges.py, and test_matrix's
    test_a_badge_key_opens_nothing_else over this whole table."""
    return {**in_project(READ, ok), ANONYMOUS: 404}


def in_project(need: str, ok: int) -> Expected:
    expected = {ANONYMOUS: 401, NO_ROLE: 404, FOREIGN_TOKEN: 404}
    for who, role in _ROLE_IN_PROJECT.items():
        expected[who] = ok if _RANK[role] >= _RANK[need] else 403
    return expected


@dataclass(frozen=True)
class Call:
    """What a request needs beyond the world's project and job."""

    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    query: dict[str, str] | None = None


# Makes what the request acts on, for the principal ``who`` about to call.
# A GET's cells share one preparation: it must not depend on ``who``.
Prepare = Callable[[World, str], Awaitable[Call]]


async def nothing(world: World, who: str) -> Call:
    return Call()


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as in the OpenAPI document
    expected: Expected
    prepare: Prepare = nothing

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    def url(self, world: World, call: Call) -> str:
        params = {"project_ish": world.project["id"], "job_ish": world.job["id"], **call.params}
        return self.path.format_map(params)


def body(make: Callable[[World], Any]) -> Prepare:
    """A request with a JSON body made from the world (for unique names)."""

    async def prepare(world: World, who: str) -> Call:
        return Call(json=make(world))

    return prepare


async def queued_run(world: World, who: str) -> Call:
    """A run that stays queued: the server runs no runner."""
    run = await world.setup("POST", f"{world.job_path}/runs")
    return Call({"run_id": run["id"]})


async def a_kept_artifact(world: World, who: str) -> Call:
    """A finished run that kept ``out.txt``."""
    run = await world.setup("POST", f"{world.job_path}/runs")
    await keep_artifact(world.api.server, run["id"], "out.txt", b"kept")
    return Call({"run_id": run["id"], "path": "out.txt"})


async def the_latest_artifact(world: World, who: str) -> Call:
    await a_kept_artifact(world, who)
    return Call(query={"job": world.job["id"], "path": "out.txt"})


async def a_run_prefix(world: World, who: str) -> Call:
    """The start of a queued run's id, to search for (who sees it: tests/api/test_run_lookup)."""
    run = await world.setup("POST", f"{world.job_path}/runs")
    return Call(query={"id_prefix": run["id"][:8]})


async def search_a_queued_run(world: World, who: str) -> Call:
    run = await world.setup("POST", f"{world.job_path}/runs")
    return Call({"run_id": run["id"]}, query={"q": "anything"})


async def queued_run_by_machine_names(world: World, who: str) -> Call:
    run = await world.setup("POST", f"{world.job_path}/runs")
    project, job = world.project["machine_name"], world.job["machine_name"]
    return Call({"project_ish": project, "job_ish": job, "run_id": run["id"]})


async def readers_membership(world: World, who: str) -> Call:
    return Call({"member_id": world.members[READ]}, json={"role": "write"})


async def writers_membership(world: World, who: str) -> Call:
    return Call({"member_id": world.members[WRITE]})


async def invited_member(world: World, who: str) -> Call:
    email = {"email": f"guest-{world.tag}@example.com", "role": "read"}
    member = await world.setup("POST", f"{world.project_path}/members", json=email)
    return Call({"member_id": member["id"]})


async def the_project_token(world: World, who: str) -> Call:
    return Call({"token_id": world.project_token_id})


async def an_envvar(world: World, who: str) -> Call:
    value = {"name": "DEPLOY_KEY", "value": "s3cret-deploy-key"}
    await world.setup("POST", f"{world.project_path}/envvars", json=value)
    return Call({"name": "DEPLOY_KEY"})


async def _cache(world: World, key: str) -> int:
    """A saved cache of the world's project (its row; no run needed to list or delete it)."""
    project_id = world.project["id"]
    async with world.api.server.database.transaction() as conn:
        made = await caches_db.insert_if_absent(conn, project_id, key, "0" * 64, 10, 1.0, None)
        if made is not None:
            return made
        found = await caches_db.get_by_key(conn, project_id, key)
    assert found is not None
    return found.id


async def a_cache(world: World, who: str) -> Call:
    return Call({"cache_id": str(await _cache(world, "deps-shared"))})


async def own_cache(world: World, who: str) -> Call:
    return Call({"cache_id": str(await _cache(world, f"deps-{who}"))})


async def own_cache_key(world: World, who: str) -> Call:
    await _cache(world, f"deps-{who}")
    return Call(query={"key": f"deps-{who}"})


async def own_account_token(world: World, who: str) -> Call:
    """A spare token of the account behind ``who`` (a project token's maker)."""
    made = await world.setup("POST", "/v1/tokens", world.maker(who), {"name": "spare"})
    return Call({"token_id": made["id"]})


async def own_credential(world: World, who: str) -> Call:
    env = f"AWS_KEY_{world.tag.upper()}"  # the site admin is the same in every world
    value = {"name": "aws", "env": env, "value": "AKIA-not-a-real-key"}
    made = await world.setup("POST", "/v1/credentials", world.maker(who), value)
    return Call({"credential_id": made["id"]})


async def another_user(world: World, who: str) -> Call:
    return Call({"user_ish": world.usernames[NO_ROLE]})


async def make_myself_site_admin(world: World, who: str) -> Call:
    return Call({"user_ish": world.usernames[world.maker(who)]}, json={"is_admin": True})


async def user_to_delete(world: World, who: str) -> Call:
    await world.api.user(f"leaving-{world.tag}")
    return Call({"user_ish": f"leaving-{world.tag}"})


async def an_api_token(world: World, who: str) -> Call:
    return Call(query={"api_token": world.tokens[READ]})


PASSWORD = "correct horse battery staple"


async def a_password_user(world: World, who: str) -> Call:
    user = {"username": f"pw-{world.tag}", "password": PASSWORD}
    await world.setup("POST", "/v1/users", json=user)
    return Call(json={"username": f"pw-{world.tag}", "password": PASSWORD})


async def an_invitation(world: World, who: str) -> Call:
    invited = await invited_member(world, who)
    member = invited.params["member_id"]
    made = await world.setup("POST", f"{world.project_path}/members/{member}/invite")
    accept = {"username": f"guest-{world.tag}", "password": PASSWORD}
    return Call({"token": made["token"]}, json=accept)


async def a_registration_token(world: World, who: str) -> Call:
    made = await world.setup(
        "POST", "/v1/runners/registration-tokens", json={"description": f"fleet {world.tag}"}
    )
    return Call({"token_id": made["id"]})


async def a_runner_registration(world: World, who: str) -> Call:
    """A runner's registration: the registration token is its only credential."""
    made = await world.setup(
        "POST", "/v1/runners/registration-tokens", json={"description": f"fleet {world.tag}"}
    )
    return Call(json={"token": made["token"], "name": f"runner-{world.tag}", "labels": ["linux"]})


async def a_runner(world: World, who: str) -> Call:
    registration = await a_runner_registration(world, who)
    made = await world.setup("POST", "/v1/runner/register", ANONYMOUS, registration.json)
    return Call({"runner_id": made["id"]})


# A pipeline that holds at an approval, then would run a job; and names a promotion.
PIPELINE_CONFIG = """\
version: 1
jobs:
  hold: {type: approval}
  build: {steps: [{run: "true"}]}
workflows:
  main:
    jobs: [hold, {build: {requires: [hold]}}]
promotions:
  - {name: deploy, pipeline_file: deploy.yml}
"""


async def a_pipeline(world: World, who: str) -> Call:
    made = await world.setup(
        "POST", f"{world.project_path}/pipelines", json={"config": PIPELINE_CONFIG}
    )
    return Call({"pipeline_id": made["id"], "number": str(made["number"])})


async def a_held_workflow(world: World, who: str) -> Call:
    pipeline = (await a_pipeline(world, who)).params["pipeline_id"]
    response = await world.api.http.get(
        f"/v1/pipelines/{pipeline}/workflows", headers=world.headers(SITE_ADMIN)
    )
    return Call({"workflow_id": response.json()[0]["id"], "job": "hold"})


async def a_finished_workflow(world: World, who: str) -> Call:
    workflow = (await a_held_workflow(world, who)).params["workflow_id"]
    await world.setup("POST", f"/v1/workflows/{workflow}/cancel")
    return Call({"workflow_id": workflow}, json={"from_failed": True})


async def a_promotion(world: World, who: str) -> Call:
    call = await a_pipeline(world, who)
    return Call(call.params, json={"name": "deploy", "override": True})


P = "/v1/projects/{project_ish}"
JOB = P + "/jobs/{job_ish}"
RUN = JOB + "/runs/{run_id}"
PIPELINE = "/v1/pipelines/{pipeline_id}"
WORKFLOW = "/v1/workflows/{workflow_id}"

TABLE: tuple[Operation, ...] = (
    # Runs and logs.
    Operation("POST", JOB + "/runs", in_project(WRITE, 201)),
    Operation("GET", JOB + "/runs", in_project(READ, 200), queued_run),
    Operation("GET", P + "/runs", in_project(READ, 200), queued_run),
    Operation("GET", RUN, in_project(READ, 200), queued_run),
    Operation("GET", "/v1/runs", signed_in(200), a_run_prefix),
    Operation("GET", "/v1/runs/{run_id}", in_project(READ, 200), queued_run),
    Operation(
        "GET", P + "/{job_ish}/run/{run_id}", in_project(READ, 200), queued_run_by_machine_names
    ),
    Operation("POST", RUN + "/cancel", in_project(WRITE, 200), queued_run),
    Operation("POST", "/v1/runs/{run_id}/cancel", in_project(WRITE, 200), queued_run),
    Operation("GET", RUN + "/log", in_project(READ, 200), queued_run),
    Operation("GET", "/v1/runs/{run_id}/log", in_project(READ, 200), queued_run),
    Operation("GET", RUN + "/log/lines", in_project(READ, 200), queued_run),
    Operation("GET", "/v1/runs/{run_id}/log/lines", in_project(READ, 200), queued_run),
    Operation("GET", RUN + "/log/search", in_project(READ, 200), search_a_queued_run),
    Operation("GET", RUN + "/artifacts", in_project(READ, 200), queued_run),
    Operation("GET", "/v1/runs/{run_id}/artifacts", in_project(READ, 200), queued_run),
    Operation("GET", RUN + "/artifacts/{path}", in_project(READ, 200), a_kept_artifact),
    Operation("GET", "/v1/runs/{run_id}/artifacts/{path}", in_project(READ, 200), a_kept_artifact),
    Operation("GET", P + "/artifacts/latest", in_project(READ, 200), the_latest_artifact),
    Operation("GET", RUN + "/tests", in_project(READ, 200), queued_run),
    Operation("GET", "/v1/runs/{run_id}/tests", in_project(READ, 200), queued_run),
    Operation("GET", P + "/tests/flaky", in_project(READ, 200)),
    Operation("GET", P + "/tests/insights", in_project(READ, 200)),
    Operation("GET", "/v1/runs/{run_id}/log/search", in_project(READ, 200), search_a_queued_run),
    # Pipelines, workflows, promotions.
    Operation(
        "POST",
        P + "/pipelines",
        in_project(WRITE, 201),
        body(lambda w: {"config": PIPELINE_CONFIG}),
    ),
    Operation("GET", P + "/pipelines", in_project(READ, 200), a_pipeline),
    Operation("GET", P + "/pipelines/{number}", in_project(READ, 200), a_pipeline),
    # No repository in the world's project: whoever sees it gets to "nothing to read" (409).
    Operation("GET", P + "/pipelines/parameters", in_project(READ, 409)),
    Operation("GET", PIPELINE, in_project(READ, 200), a_pipeline),
    Operation("GET", PIPELINE + "/config", in_project(READ, 200), a_pipeline),
    Operation("GET", PIPELINE + "/workflows", in_project(READ, 200), a_pipeline),
    Operation("POST", PIPELINE + "/stop", in_project(WRITE, 200), a_pipeline),
    Operation("GET", PIPELINE + "/promotions", in_project(READ, 200), a_pipeline),
    # The world's project has no repository: a caller allowed to promote gets past the
    # role check to "nothing to promote from" (409); test_pipeline_git promotes for real.
    Operation("POST", PIPELINE + "/promotions", in_project(WRITE, 409), a_promotion),
    Operation("GET", WORKFLOW, in_project(READ, 200), a_held_workflow),
    Operation("GET", WORKFLOW + "/jobs", in_project(READ, 200), a_held_workflow),
    Operation("POST", WORKFLOW + "/cancel", in_project(WRITE, 200), a_held_workflow),
    Operation("POST", WORKFLOW + "/rerun", in_project(WRITE, 201), a_finished_workflow),
    Operation("POST", WORKFLOW + "/approve/{job}", in_project(WRITE, 200), a_held_workflow),
    # Jobs.
    Operation("GET", P + "/jobs", in_project(READ, 200)),
    Operation(
        "POST", P + "/jobs", in_project(ADMIN, 201), body(lambda w: {"name": "B", "script": "true"})
    ),
    Operation("GET", JOB, in_project(READ, 200)),
    Operation("PATCH", JOB, in_project(ADMIN, 200), body(lambda w: {"description": "changed"})),
    Operation("DELETE", JOB, in_project(ADMIN, 204)),
    # Projects.
    Operation("GET", "/v1/projects", {**public(200), ANONYMOUS: 401}),
    Operation("POST", "/v1/projects", account(201), body(lambda w: {"name": f"New {w.tag}"})),
    Operation("GET", P, in_project(READ, 200)),
    Operation("PATCH", P, in_project(ADMIN, 200), body(lambda w: {"description": "changed"})),
    Operation("DELETE", P, in_project(ADMIN, 204)),
    # Members and invitations.
    Operation("GET", P + "/members", in_project(READ, 200)),
    Operation(
        "POST",
        P + "/members",
        in_project(ADMIN, 201),
        body(lambda w: {"email": f"new-{w.tag}@example.com", "role": "read"}),
    ),
    Operation("PATCH", P + "/members/{member_id}", in_project(ADMIN, 200), readers_membership),
    Operation("DELETE", P + "/members/{member_id}", in_project(ADMIN, 204), writers_membership),
    Operation("POST", P + "/members/{member_id}/invite", in_project(ADMIN, 201), invited_member),
    # Project tokens.
    Operation("GET", P + "/tokens", in_project(ADMIN, 200)),
    Operation(
        "POST",
        P + "/tokens",
        in_project(ADMIN, 201),
        body(lambda w: {"name": "ci", "role": "read"}),
    ),
    Operation("DELETE", P + "/tokens/{token_id}", in_project(ADMIN, 204), the_project_token),
    # Project environment variables.
    Operation("GET", P + "/envvars", in_project(READ, 200), an_envvar),
    Operation(
        "POST",
        P + "/envvars",
        in_project(ADMIN, 201),
        body(lambda w: {"name": "API_KEY", "value": "s3cret-api-key"}),
    ),
    Operation("GET", P + "/envvars/{name}", in_project(READ, 200), an_envvar),
    Operation("DELETE", P + "/envvars/{name}", in_project(ADMIN, 204), an_envvar),
    # Status badges and the badge key.
    Operation("GET", P + "/badge.svg", badges_of_project(200)),
    Operation("GET", JOB + "/badge.svg", badges_of_project(200)),
    Operation("POST", P + "/badge-key", in_project(ADMIN, 200)),
    # Caches.
    Operation("GET", P + "/caches", in_project(READ, 200), a_cache),
    Operation("GET", P + "/caches/{cache_id}", in_project(READ, 200), a_cache),
    Operation("DELETE", P + "/caches/{cache_id}", in_project(ADMIN, 204), own_cache),
    Operation("DELETE", P + "/caches", in_project(ADMIN, 204), own_cache_key),
    # Audit.
    Operation("GET", P + "/audit", in_project(ADMIN, 200)),
    Operation("GET", "/v1/audit", site_admins(200)),
    # The caller's own account, tokens and credentials.
    Operation("GET", "/v1/account", account(200)),
    Operation("PATCH", "/v1/account", account(200), body(lambda w: {"name": "New Name"})),
    Operation("GET", "/v1/tokens", account(200)),
    Operation("POST", "/v1/tokens", account(201), body(lambda w: {"name": "laptop"})),
    Operation("DELETE", "/v1/tokens/{token_id}", account(204), own_account_token),
    Operation("GET", "/v1/credentials", account(200)),
    Operation(
        "POST",
        "/v1/credentials",
        account(201),
        body(lambda w: {"name": "gh", "env": f"GH_{w.tag.upper()}", "value": "ghp-not-real"}),
    ),
    Operation("DELETE", "/v1/credentials/{credential_id}", account(204), own_credential),
    # Users (site admins).
    Operation("GET", "/v1/users", site_admins(200)),
    Operation("POST", "/v1/users", site_admins(201), body(lambda w: {"username": f"new-{w.tag}"})),
    Operation("GET", "/v1/users/{user_ish}", site_admins(200), another_user),
    Operation("PATCH", "/v1/users/{user_ish}", site_admins(200), make_myself_site_admin),
    Operation("DELETE", "/v1/users/{user_ish}", site_admins(204), user_to_delete),
    # Runners and their registration tokens (site admins).
    Operation("GET", "/v1/runners", site_admins(200), a_runner),
    Operation("GET", "/v1/runners/{runner_id}", site_admins(200), a_runner),
    Operation("POST", "/v1/runners/{runner_id}/pause", site_admins(200), a_runner),
    Operation("POST", "/v1/runners/{runner_id}/resume", site_admins(200), a_runner),
    Operation("DELETE", "/v1/runners/{runner_id}", site_admins(204), a_runner),
    Operation("GET", "/v1/runners/registration-tokens", site_admins(200), a_registration_token),
    Operation(
        "POST",
        "/v1/runners/registration-tokens",
        site_admins(201),
        body(lambda w: {"description": f"fleet {w.tag}"}),
    ),
    Operation(
        "DELETE",
        "/v1/runners/registration-tokens/{token_id}",
        site_admins(204),
        a_registration_token,
    ),
    # Public: getting a token, invitations, health.
    Operation("GET", "/v1/auth/token", public(200), an_api_token),
    Operation("POST", "/v1/auth/login", public(200), a_password_user),
    Operation("GET", "/v1/invitations/{token}", public(200), an_invitation),
    Operation("POST", "/v1/invitations/{token}", public(201), an_invitation),
    Operation("POST", "/v1/runner/register", public(201), a_runner_registration),
    Operation("GET", "/v1/health", public(200)),
    Operation("GET", "/v1/health/ready", public(200)),
)


# The runner protocol (agents' calls, /v1/runner/jobs/…): only a runner's credential
# works there, so every principal here is refused. tests/api/test_runner_*.py drive
# it with one.


def runners_only() -> Expected:
    return dict.fromkeys(PRINCIPALS, 401)


def an_attempt(**extra: Any) -> Prepare:
    """A call about attempt 1 of a queued run."""

    async def prepare(world: World, who: str) -> Call:
        run = await queued_run(world, who)
        return Call(run.params, json={"attempt": 1, **extra})

    return prepare


async def an_attempts_log(world: World, who: str) -> Call:
    run = await queued_run(world, who)
    return Call(run.params, query={"attempt": "1", "offset": "0"})


async def a_cached_run(world: World, who: str) -> Call:
    run = await queued_run(world, who)
    cache = await a_cache(world, who)
    return Call({**run.params, **cache.params}, query={"attempt": "1"})


async def an_upload(world: World, who: str) -> Call:
    run = await queued_run(world, who)
    return Call({**run.params, "kind": "artifact"}, query={"attempt": "1", "name": "a.txt"})


RUNNER_JOBS = (
    Operation("POST", "/v1/runner/jobs/request", runners_only(), body(lambda w: {"wait": 0})),
    Operation("POST", "/v1/runner/jobs/{run_id}/heartbeat", runners_only(), an_attempt()),
    Operation("POST", "/v1/runner/jobs/{run_id}/control", runners_only(), an_attempt(wait=0)),
    Operation("PUT", "/v1/runner/jobs/{run_id}/log", runners_only(), an_attempts_log),
    Operation("PUT", "/v1/runner/jobs/{run_id}/sections", runners_only(), an_attempt(sections=[])),
    Operation(
        "POST",
        "/v1/runner/jobs/{run_id}/finish",
        runners_only(),
        an_attempt(exit_code=0, log_size=0),
    ),
    Operation("GET", "/v1/runner/jobs/{run_id}/source", runners_only(), an_attempts_log),
    Operation(
        "POST", "/v1/runner/jobs/{run_id}/caches/find", runners_only(), an_attempt(keys=["k"])
    ),
    Operation("GET", "/v1/runner/jobs/{run_id}/caches/{cache_id}", runners_only(), a_cached_run),
    Operation("PUT", "/v1/runner/jobs/{run_id}/uploads/{kind}", runners_only(), an_upload),
)
TABLE = (*TABLE, *RUNNER_JOBS)
