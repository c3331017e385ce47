"""The entry point: ``Client(token, host=...)``."""

from __future__ import annotations

from types import TracebackType
from typing import Any, overload

import httpx

from ishcd.client import errors, runs
from ishcd.client.account import AccountHandle, TokenHandle, Tokens
from ishcd.client.audit import Audit
from ishcd.client.pipelines import PipelineHandle
from ishcd.client.projects import ProjectHandle, Projects
from ishcd.client.run import Run
from ishcd.client.runners import (
    RegistrationTokenHandle,
    RegistrationTokens,
    RunnerHandle,
    Runners,
)
from ishcd.client.runs import RunHandle
from ishcd.client.secrets import CredentialHandle, Credentials
from ishcd.client.transport import DEFAULT_HOST, DEFAULT_TIMEOUT, Transport
from ishcd.client.users import UserHandle, Users
from ishcd.client.workflows import WorkflowHandle


class Client:
    """A client of one Ish CD server, acting as the owner of ``token``.

    ``Client(token, host=url).projects("my-corp").jobs("backup-prod").runs()
    .create(env={"A": "b"}, wait=True)`` starts a run and returns it finished.
    Use it as a context manager, or call :meth:`close`, to close its connections.
    """

    def __init__(
        self,
        token: str | None,
        host: str = DEFAULT_HOST,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ):
        self.transport = Transport(host, token, timeout=timeout, http_transport=transport)

    @property
    def host(self) -> str:
        """The server's root URL."""
        return self.transport.base_url

    def __repr__(self) -> str:
        return f"Client(host={self.host!r})"

    def close(self) -> None:
        """Close the client's connections."""
        self.transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def health(self) -> dict[str, Any]:
        """The server's ``/v1/health``: ``{"status": "ok", "version": …}`` (no token needed)."""
        data = self.transport.json("GET", "/v1/health")
        if not isinstance(data, dict):
            raise errors.UnexpectedResponse("GET /v1/health: expected a JSON object")
        return data

    def exchange_token(self, api_token: str | None = None) -> str:
        """A JWT valid for 12 hours for an API token (by default the client's own)."""
        token = api_token or self.transport.token
        if not token:
            raise errors.ClientError("no API token to exchange")
        data = self.transport.json("GET", "/v1/auth/token", params={"api_token": token})
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            raise errors.UnexpectedResponse('GET /v1/auth/token: expected {"token": …}')
        return str(data["token"])

    def login(self, username: str, password: str) -> str:
        """Log in with a user name and password: a JWT valid for 12 hours (no token needed).

        ``Client(jwt, host=…)`` then acts as that user, e.g. to create an API token.
        """
        body = {"username": username, "password": password}
        data = self.transport.json("POST", "/v1/auth/login", json=body)
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            raise errors.UnexpectedResponse('POST /v1/auth/login: expected {"token": …}')
        return str(data["token"])

    def account(self) -> AccountHandle:
        """Your account."""
        return AccountHandle(self.transport)

    @overload
    def tokens(self) -> Tokens: ...

    @overload
    def tokens(self, token_id: str) -> TokenHandle: ...

    def tokens(self, token_id: str | None = None) -> Tokens | TokenHandle:
        """Your API tokens, or with ``token_id`` that one token."""
        if token_id is None:
            return Tokens(self.transport)
        return TokenHandle(self.transport, token_id)

    @overload
    def projects(self) -> Projects: ...

    @overload
    def projects(self, project: str) -> ProjectHandle: ...

    def projects(self, project: str | None = None) -> Projects | ProjectHandle:
        """The projects you can see, or with ``project`` (id or machine name) that one."""
        if project is None:
            return Projects(self.transport)
        return ProjectHandle(self.transport, project)

    def runs(self, run_id: str) -> RunHandle:
        """Any run you can see, by its id alone."""
        return RunHandle(self.transport, run_id)

    def find_runs(self, id_prefix: str, *, limit: int = 5) -> list[Run]:
        """The runs you can see whose id starts with ``id_prefix``, newest first.

        At most ``limit`` (up to 100): ask for 2 and one back means the prefix is
        unique. A prefix shorter than 4 hex digits, or not the start of an id, is
        a :class:`~ishcd.client.errors.ValidationFailed` on ``id_prefix``.
        """
        return runs.find_runs(self.transport, id_prefix, limit)

    def pipelines(self, pipeline_id: str) -> PipelineHandle:
        """Any pipeline you can see, by its id (by number: ``projects(p).pipelines().get(n)``)."""
        return PipelineHandle(self.transport, pipeline_id)

    def workflows(self, workflow_id: str) -> WorkflowHandle:
        """Any workflow you can see, by its id."""
        return WorkflowHandle(self.transport, workflow_id)

    @overload
    def credentials(self) -> Credentials: ...

    @overload
    def credentials(self, credential_id: str) -> CredentialHandle: ...

    def credentials(self, credential_id: str | None = None) -> Credentials | CredentialHandle:
        """Your credentials, or with ``credential_id`` that one."""
        if credential_id is None:
            return Credentials(self.transport)
        return CredentialHandle(self.transport, credential_id)

    @overload
    def users(self) -> Users: ...

    @overload
    def users(self, user: str) -> UserHandle: ...

    def users(self, user: str | None = None) -> Users | UserHandle:
        """Every user (site admins), or with ``user`` (id or user name) that one."""
        if user is None:
            return Users(self.transport)
        return UserHandle(self.transport, user)

    @overload
    def runners(self) -> Runners: ...

    @overload
    def runners(self, runner_id: str) -> RunnerHandle: ...

    def runners(self, runner_id: str | None = None) -> Runners | RunnerHandle:
        """Every registered runner (site admins), or with ``runner_id`` that one."""
        if runner_id is None:
            return Runners(self.transport)
        return RunnerHandle(self.transport, runner_id)

    @overload
    def registration_tokens(self) -> RegistrationTokens: ...

    @overload
    def registration_tokens(self, token_id: str) -> RegistrationTokenHandle: ...

    def registration_tokens(
        self, token_id: str | None = None
    ) -> RegistrationTokens | RegistrationTokenHandle:
        """Runners' registration tokens (site admins), or with ``token_id`` that one."""
        if token_id is None:
            return RegistrationTokens(self.transport)
        return RegistrationTokenHandle(self.transport, token_id)

    def audit(self) -> Audit:
        """The site's audit log (site admins): every project's events, logins, users."""
        return Audit(self.transport, "/v1/audit")
