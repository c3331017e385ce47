"""Secrets: project env vars (``project.envvars()``) and your credentials
(``client.credentials()``). Values are write-only: the API shows them masked."""

from __future__ import annotations

from collections.abc import Iterator

from ishcd.client.access_models import Credential, Envvar
from ishcd.client.transport import Transport, segment

EnvvarList = list[Envvar]
CredentialList = list[Credential]


class Envvars:
    """The env vars of one project: every run of the project gets them."""

    def __init__(self, transport: Transport, project_path: str):
        self._transport = transport
        self._path = project_path + "/envvars"

    def list(self, *, page: int | None = None, per_page: int | None = None) -> EnvvarList:
        """One page of the project's env vars, values masked."""
        items = self._transport.items(self._path, {"page": page, "per_page": per_page})
        return [Envvar.from_json(item) for item in items]

    def iter_all(self, *, per_page: int = 100) -> Iterator[Envvar]:
        """Every env var of the project, fetching page after page as needed."""
        for items in self._transport.pages(self._path, {"per_page": per_page}):
            yield from (Envvar.from_json(item) for item in items)

    def set(self, name: str, value: str) -> Envvar:
        """Set ``name`` to ``value``, replacing any value it had (project admins)."""
        body = {"name": name, "value": value}
        return Envvar.from_json(self._transport.json("POST", self._path, json=body))


class EnvvarHandle:
    """One env var of a project, by name."""

    def __init__(self, transport: Transport, project_path: str, name: str):
        self.name = name
        self._transport = transport
        self.path = f"{project_path}/envvars/{segment(name)}"

    def get(self) -> Envvar:
        """Read the env var (its value masked)."""
        return Envvar.from_json(self._transport.json("GET", self.path))

    def delete(self) -> None:
        """Delete the env var: runs created from now on no longer get it."""
        self._transport.request("DELETE", self.path)


class Credentials:
    """Your credentials: runs you start (with a login or an account token) get them."""

    def __init__(self, transport: Transport):
        self._transport = transport

    def list(self, *, page: int | None = None, per_page: int | None = None) -> CredentialList:
        """One page of your credentials, values masked."""
        params = {"page": page, "per_page": per_page}
        return [Credential.from_json(c) for c in self._transport.items("/v1/credentials", params)]

    def iter_all(self, *, per_page: int = 100) -> Iterator[Credential]:
        """All your credentials, fetching page after page as needed."""
        for items in self._transport.pages("/v1/credentials", {"per_page": per_page}):
            yield from (Credential.from_json(item) for item in items)

    def create(self, name: str, env: str, value: str) -> Credential:
        """Store ``value``; runs you start get it as the variable ``env``."""
        body = {"name": name, "env": env, "value": value}
        return Credential.from_json(self._transport.json("POST", "/v1/credentials", json=body))


class CredentialHandle:
    """One of your credentials, by id."""

    def __init__(self, transport: Transport, credential_id: str):
        self.id = credential_id
        self._transport = transport

    def delete(self) -> None:
        """Delete the credential."""
        self._transport.request("DELETE", f"/v1/credentials/{segment(self.id)}")
