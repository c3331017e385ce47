"""Project tokens, for machines: ``client.projects("p").tokens()``."""

from __future__ import annotations

from collections.abc import Iterator

from ishcd.client.access_models import CreatedProjectToken, ProjectToken
from ishcd.client.transport import Transport, segment

ProjectTokenList = list[ProjectToken]


class ProjectTokens:
    """The tokens of one project (project admins): each works on that project only."""

    def __init__(self, transport: Transport, project_path: str):
        self._transport = transport
        self._path = project_path + "/tokens"

    def list(self, *, page: int | None = None, per_page: int | None = None) -> ProjectTokenList:
        """One page of the project's tokens (their records, never the tokens)."""
        items = self._transport.items(self._path, {"page": page, "per_page": per_page})
        return [ProjectToken.from_json(item) for item in items]

    def iter_all(self, *, per_page: int = 100) -> Iterator[ProjectToken]:
        """Every token of the project, fetching page after page as needed."""
        for items in self._transport.pages(self._path, {"per_page": per_page}):
            yield from (ProjectToken.from_json(item) for item in items)

    def create(self, name: str, role: str, *, expires: int | None = None) -> CreatedProjectToken:
        """Create a token acting with ``role`` (at most yours); its ``token`` is shown once.

        ``expires``: days until it stops working (never when None).
        """
        body = {"name": name, "role": role, "expires": expires}
        return CreatedProjectToken.from_json(self._transport.json("POST", self._path, json=body))


class ProjectTokenHandle:
    """One token of a project, by id."""

    def __init__(self, transport: Transport, project_path: str, token_id: str):
        self.id = token_id
        self._transport = transport
        self.path = f"{project_path}/tokens/{segment(token_id)}"

    def revoke(self) -> None:
        """Revoke the token: it stops working at once."""
        self._transport.request("DELETE", self.path)
