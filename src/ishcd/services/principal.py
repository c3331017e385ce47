"""Who is calling: the account (and token) a request acts for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: str
    username: str
    is_admin: bool
    # The API token used, directly or through an exchanged JWT; None for a login.
    token_id: str | None = None
    # Set when the token's ``last_used`` is stale and should be written.
    touch_token: bool = False
