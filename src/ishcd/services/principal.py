"""Who is calling: the account (and token) a request acts for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Caller:
    """An account, or a project token (which acts for the account that made it).

    A project token's caller has ``project_id`` set: it sees that project
    only, with ``project_role`` (never more than its maker's role), and never
    the maker's site-admin powers or account.
    """

    user_id: str
    username: str
    is_admin: bool
    # The API token used, directly or through an exchanged JWT; None for a login.
    token_id: str | None = None
    token_name: str | None = None
    project_id: str | None = None
    project_role: str | None = None
    # Set when the token's ``last_used`` is stale and should be written.
    touch_token: bool = False
    ip: str | None = None

    @property
    def is_project_token(self) -> bool:
        return self.project_id is not None
