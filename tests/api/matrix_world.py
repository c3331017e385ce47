"""The world each cell of the authorization matrix runs in, built fresh through the API.

A world is a project with a job, an account for each role in it (and one
with none), a project token made by its admin, a token of another project,
and a second site admin. The first admin created both projects, so it is
their admin too; the second one is no member of either. Everything has a
unique tag: worlds share one server but nothing else, so a cell that
deletes or revokes disturbs no other.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from ishcd.api.deps import SESSION_COOKIE
from ishcd.db import users as users_db
from ishcd.services import sessions
from tests.api.conftest import Api, bearer

ANONYMOUS = "anonymous"
NO_ROLE = "no_role"  # an account that is not a member of the project
READ = "read"
WRITE = "write"
ADMIN = "admin"
PROJECT_TOKEN = "project_token"  # role write, on the project, made by its admin
FOREIGN_TOKEN = "foreign_token"  # role write, on another project, made by the site admin
SITE_ADMIN = "site_admin"  # the first admin, who made the project: its admin too
OTHER_SITE_ADMIN = "other_site_admin"  # a site admin who is no member of the project
PRINCIPALS = (
    ANONYMOUS,
    NO_ROLE,
    READ,
    WRITE,
    ADMIN,
    PROJECT_TOKEN,
    FOREIGN_TOKEN,
    SITE_ADMIN,
    OTHER_SITE_ADMIN,
)
ACCOUNTS = (NO_ROLE, READ, WRITE, ADMIN, SITE_ADMIN, OTHER_SITE_ADMIN)
# The write member signed in to the web UI: its login session (a cookie) with the
# session's CSRF token in X-CSRF-Token, and without it. The first must get what
# the member's token gets; the second too for safe methods, and 403 for unsafe ones.
WRITE_SESSION = "write_session"
WRITE_SESSION_NO_CSRF = "write_session_no_csrf"
SESSIONS = (WRITE_SESSION, WRITE_SESSION_NO_CSRF)
# The account acting behind each principal; site admin's for anonymous.
MAKERS = {
    PROJECT_TOKEN: ADMIN,
    FOREIGN_TOKEN: SITE_ADMIN,
    ANONYMOUS: SITE_ADMIN,
    WRITE_SESSION: WRITE,
    WRITE_SESSION_NO_CSRF: WRITE,
}


@dataclass
class World:
    api: Api
    tag: str
    project: dict[str, Any]
    job: dict[str, Any]
    tokens: dict[str, str]  # principal -> its API token
    usernames: dict[str, str]  # account principal -> its user name
    members: dict[str, str] = field(default_factory=dict)  # role -> its member id
    project_token_id: str = ""
    session: tuple[str, str] = ("", "")  # the write member's (cookie secret, CSRF token)

    def headers(self, who: str) -> dict[str, str]:
        if who in SESSIONS:
            secret, csrf = self.session
            cookie = {"Cookie": f"{SESSION_COOKIE}={secret}"}
            return {**cookie, "X-CSRF-Token": csrf} if who == WRITE_SESSION else cookie
        return {} if who == ANONYMOUS else bearer(self.tokens[who])

    def maker(self, who: str) -> str:
        """The account principal acting behind ``who``."""
        return MAKERS.get(who, who)

    @property
    def project_path(self) -> str:
        return f"/v1/projects/{self.project['id']}"

    @property
    def job_path(self) -> str:
        return f"{self.project_path}/jobs/{self.job['id']}"

    async def setup(
        self, method: str, path: str, who: str = SITE_ADMIN, json: Any = None
    ) -> dict[str, Any]:
        """A request that prepares the world: it must succeed."""
        response = await self.api.http.request(method, path, headers=self.headers(who), json=json)
        if not response.is_success:
            raise AssertionError(f"preparing: {method} {path} as {who}: {_said(response)}")
        return dict(response.json())


def _said(response: httpx.Response) -> str:
    return f"{response.status_code} {response.text[:500]}"


async def build(api: Api) -> World:
    tag = uuid.uuid4().hex[:8]
    tokens = {SITE_ADMIN: api.token}
    usernames = {SITE_ADMIN: "admin"}
    for who in (NO_ROLE, READ, WRITE, ADMIN, OTHER_SITE_ADMIN):
        usernames[who] = f"{who}-{tag}"
        tokens[who] = await api.user(usernames[who], admin=who == OTHER_SITE_ADMIN)
    world = World(api, tag, {}, {}, tokens, usernames)
    world.project = await world.setup("POST", "/v1/projects", json={"name": f"Matrix {tag}"})
    for role in (READ, WRITE, ADMIN):
        member = {"username": usernames[role], "role": role}
        made = await world.setup("POST", f"{world.project_path}/members", json=member)
        world.members[role] = made["id"]
    job = {"name": "Deploy", "script": "sleep 600"}
    world.job = await world.setup("POST", f"{world.project_path}/jobs", json=job)
    bot = {"name": "chat bot", "role": "write"}
    made = await world.setup("POST", f"{world.project_path}/tokens", ADMIN, bot)
    tokens[PROJECT_TOKEN], world.project_token_id = made["token"], made["id"]
    async with api.server.database.transaction() as conn:
        writer = await users_db.get_user_by_username(conn, usernames[WRITE])
        assert writer is not None
        started = await sessions.start_session(conn, writer, None)
    world.session = (started.secret, started.csrf_token)
    other = await world.setup("POST", "/v1/projects", json={"name": f"Other {tag}"})
    made = await world.setup("POST", f"/v1/projects/{other['id']}/tokens", json=bot)
    tokens[FOREIGN_TOKEN] = made["token"]
    return world
