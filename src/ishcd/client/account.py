"""Your account and your API tokens: ``client.account()`` and ``client.tokens()``."""

from __future__ import annotations

from collections.abc import Iterator

from ishcd.client.models import Account, CreatedToken, Token
from ishcd.client.transport import Transport, segment

TokenList = list[Token]


class AccountHandle:
    """The account the client's token belongs to."""

    def __init__(self, transport: Transport):
        self._transport = transport

    def get(self) -> Account:
        """Read your account."""
        return Account.from_json(self._transport.json("GET", "/v1/account"))

    def update(self, **fields: object) -> Account:
        """Change ``username``, ``name`` or ``email``; only the fields given."""
        return Account.from_json(self._transport.json("PATCH", "/v1/account", json=fields))


class Tokens:
    """Your API tokens (their records: a token is shown only when created)."""

    def __init__(self, transport: Transport):
        self._transport = transport

    def list(self, *, page: int | None = None, per_page: int | None = None) -> TokenList:
        """One page of your tokens."""
        items = self._transport.items("/v1/tokens", {"page": page, "per_page": per_page})
        return [Token.from_json(item) for item in items]

    def iter_all(self, *, per_page: int = 100) -> Iterator[Token]:
        """All your tokens, fetching page after page as needed."""
        for items in self._transport.pages("/v1/tokens", {"per_page": per_page}):
            yield from (Token.from_json(item) for item in items)

    def create(self, name: str, *, expires: int | None = None) -> CreatedToken:
        """Create a named API token; its ``token`` is in this answer only.

        ``expires``: days until it stops working (never when None).
        """
        body = {"name": name, "expires": expires}
        data = self._transport.json("POST", "/v1/tokens", json=body)
        return CreatedToken.from_json(data)


class TokenHandle:
    """One of your API tokens, by id."""

    def __init__(self, transport: Transport, token_id: str):
        self.id = token_id
        self._transport = transport

    def revoke(self) -> None:
        """Revoke the token: it stops working at once."""
        self._transport.request("DELETE", f"/v1/tokens/{segment(self.id)}")
