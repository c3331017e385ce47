"""Users, for site admins: ``client.users()`` and ``client.users("alice")``."""

from __future__ import annotations

from collections.abc import Iterator

from ishcd.client.access_models import CreatedUser, User
from ishcd.client.transport import Transport, segment

UserList = list[User]


class Users:
    """Every account on the server (site admins only)."""

    def __init__(self, transport: Transport):
        self._transport = transport

    def list(self, *, page: int | None = None, per_page: int | None = None) -> UserList:
        """One page of users."""
        items = self._transport.items("/v1/users", {"page": page, "per_page": per_page})
        return [User.from_json(item) for item in items]

    def iter_all(self, *, per_page: int = 100) -> Iterator[User]:
        """Every user, fetching page after page as needed."""
        for items in self._transport.pages("/v1/users", {"per_page": per_page}):
            yield from (User.from_json(item) for item in items)

    def create(
        self,
        username: str,
        *,
        password: str | None = None,
        is_admin: bool = False,
        name: str | None = None,
        email: str | None = None,
    ) -> CreatedUser:
        """Create an account; without ``password`` a random one is made, in ``.password``."""
        body = {
            "username": username,
            "password": password,
            "is_admin": is_admin,
            "name": name,
            "email": email,
        }
        return CreatedUser.from_json(self._transport.json("POST", "/v1/users", json=body))


class UserHandle:
    """One user, by id or user name."""

    def __init__(self, transport: Transport, user: str):
        self.ish = user
        self._transport = transport
        self.path = f"/v1/users/{segment(user)}"

    def __repr__(self) -> str:
        return f"UserHandle({self.ish!r})"

    def get(self) -> User:
        """Read the user."""
        return User.from_json(self._transport.json("GET", self.path))

    def update(self, **fields: object) -> User:
        """Change ``username``, ``name``, ``email``, ``is_admin``, ``disabled`` or
        ``password``; only the fields given. Disabling stops the user's tokens at once."""
        return User.from_json(self._transport.json("PATCH", self.path, json=fields))

    def delete(self) -> None:
        """Delete the user with their tokens, credentials and memberships."""
        self._transport.request("DELETE", self.path)
